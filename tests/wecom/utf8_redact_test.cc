#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/wecom/redact.h"
#include "libs/wecom/utf8.h"

namespace wecom_notify::wecom {
namespace {

TEST(Utf8Test, ValidatesAndSanitizes) {
  EXPECT_TRUE(IsValidUtf8("告警 ok"));
  EXPECT_FALSE(IsValidUtf8("\xE5\x91"));      // cut CJK character
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));  // surrogate
  EXPECT_EQ(SanitizeUtf8("a\xFF"
                         "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(SanitizeUtf8("告警"), "告警");
}

TEST(Utf8Test, PrefixNeverEndsInsideACharacter) {
  const std::string s = "告警abc";  // 3 + 3 + 3 bytes
  EXPECT_EQ(Utf8PrefixLength(s, 2), 0u);
  EXPECT_EQ(Utf8PrefixLength(s, 3), 3u);
  EXPECT_EQ(Utf8PrefixLength(s, 5), 3u);
  EXPECT_EQ(Utf8PrefixLength(s, 6), 6u);
  EXPECT_EQ(Utf8PrefixLength(s, 100), s.size());
}

TEST(Utf8Test, TruncateAddsMarkerAndStaysValid) {
  const std::string s = "磁盘空间不足磁盘空间不足";
  for (size_t max = 12; max < s.size(); ++max) {
    const std::string t = TruncateUtf8(s, max, "…");
    EXPECT_LE(t.size(), max);
    EXPECT_TRUE(IsValidUtf8(t)) << max;
    EXPECT_TRUE(absl::EndsWith(t, "…")) << max;
  }
  EXPECT_EQ(TruncateUtf8(s, s.size(), "…"), s);
}

TEST(RedactTest, RedactsEverySecretParameter) {
  EXPECT_EQ(RedactSecrets("https://h/cgi-bin/message/send?access_token=abc123&debug=1"),
            "https://h/cgi-bin/message/send?access_token=REDACTED&debug=1");
  EXPECT_EQ(RedactSecrets("GET https://h/gettoken?corpid=ww1&corpsecret=s3cr3t: timeout"),
            "GET https://h/gettoken?corpid=ww1&corpsecret=REDACTED timeout");
  EXPECT_EQ(RedactSecrets("webhook/send?KEY=693a-91f6 failed"), "webhook/send?KEY=REDACTED failed");
}

TEST(RedactTest, LeavesLookalikesAlone) {
  EXPECT_EQ(RedactSecrets("monkey=1&hotkey=2"), "monkey=1&hotkey=2");
  EXPECT_EQ(RedactSecrets("no secrets"), "no secrets");
}

TEST(RedactTest, FingerprintIsStableAndHidesTheKey) {
  const std::string key = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa";
  EXPECT_EQ(SecretFingerprint(key), SecretFingerprint(key));
  EXPECT_NE(SecretFingerprint(key), SecretFingerprint(key + "x"));
  EXPECT_EQ(SecretFingerprint(key).find("693a"), std::string::npos);
}

}  // namespace
}  // namespace wecom_notify::wecom
