#include "libs/wecom/message_splitter.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/wecom/utf8.h"

namespace wecom_notify::wecom {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// A Chinese alert block of about `bytes` bytes, tagged with a unique id.
std::string ChineseBlock(int id, size_t bytes) {
  std::string s = absl::StrCat("告警#", id, " ");
  while (s.size() + 3 <= bytes) s.append("磁");
  return s;
}

TEST(SplitMessageTest, SmallMessageIsOnePartWithoutMarker) {
  const std::vector<std::string> blocks = {"a", "b"};
  const auto parts = SplitMessage("head", blocks, "foot", SplitOptions{});
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0], "head\na\nb\nfoot");
}

TEST(SplitMessageTest, ChineseAlertsAcrossTheLimitSplitOnAlertBoundaries) {
  std::vector<std::string> blocks;
  for (int i = 0; i < 10; ++i) blocks.push_back(ChineseBlock(i, 600));
  SplitOptions options;
  options.max_bytes = 2048;
  const auto parts = SplitMessage("【告警中:10】磁盘将满\n> cluster=prod", blocks, "查看", options);

  ASSERT_EQ(parts.size(), 4u);  // 3 blocks of ~600 B per part
  for (size_t i = 0; i < parts.size(); ++i) {
    EXPECT_LE(parts[i].size(), 2048u);
    EXPECT_TRUE(IsValidUtf8(parts[i]));
    EXPECT_THAT(parts[i], StartsWith(absl::StrCat("【告警中:10】磁盘将满 (", i + 1, "/4)\n")));
    EXPECT_THAT(parts[i], HasSubstr("> cluster=prod"));
  }
  // Every alert appears whole, exactly once, in order; the footer only at the end.
  std::string all;
  for (const auto& p : parts) all += p;
  for (int i = 0; i < 10; ++i) {
    EXPECT_THAT(all, HasSubstr(blocks[i])) << i;
  }
  EXPECT_FALSE(absl::StrContains(parts[0], "查看"));
  EXPECT_TRUE(absl::EndsWith(parts.back(), "\n查看"));
}

TEST(SplitMessageTest, OversizedAlertIsShortenedWithMarkerNeverDropped) {
  const std::vector<std::string> blocks = {"first", ChineseBlock(1, 5000), "last"};
  SplitOptions options;
  options.max_bytes = 2048;
  const auto parts = SplitMessage("header", blocks, "", options);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_THAT(parts[0], HasSubstr("first"));
  EXPECT_THAT(parts[1], HasSubstr("告警#1 "));
  EXPECT_TRUE(absl::EndsWith(parts[1], "…(truncated)"));
  EXPECT_THAT(parts[2], HasSubstr("last"));
  for (const auto& p : parts) {
    EXPECT_LE(p.size(), 2048u);
    EXPECT_TRUE(IsValidUtf8(p));
  }
}

TEST(SplitMessageTest, EveryLimitBetweenCharactersGivesValidParts) {
  // Sweep the limit so the cut lands on every byte offset of a 3-byte character.
  const std::vector<std::string> blocks = {ChineseBlock(1, 400), ChineseBlock(2, 400)};
  for (size_t max = 128; max < 300; ++max) {
    SplitOptions options;
    options.max_bytes = max;
    for (const auto& p : SplitMessage("头", blocks, "", options)) {
      ASSERT_LE(p.size(), max);
      ASSERT_TRUE(IsValidUtf8(p)) << max;
    }
  }
}

TEST(SplitMessageTest, InvalidUtf8InputIsRepaired) {
  const std::vector<std::string> blocks = {"bad \xE5\x91 byte"};
  const auto parts = SplitMessage("h", blocks, "", SplitOptions{});
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_TRUE(IsValidUtf8(parts[0]));
}

}  // namespace
}  // namespace wecom_notify::wecom
