#include "libs/alert/fingerprint.h"

#include <gtest/gtest.h>

namespace wecom_notify::alert {
namespace {

// Values taken from payloads of a real Alertmanager 0.25 (see research/alertmanager.md §1.1).
TEST(FingerprintTest, EqualsAlertmanagerForTheSameLabels) {
  EXPECT_EQ(FingerprintToHex(Fingerprint(LabelSet({{"alertname", "zero"}}))), "7397d9f5ae7b8ff2");
  EXPECT_EQ(FingerprintToHex(Fingerprint(LabelSet(
                {{"severity", "critical"}, {"alertname", "DiskFull"}, {"instance", "h1"}}))),
            "3e3095adf7ad569a");
  EXPECT_EQ(FingerprintToHex(Fingerprint(LabelSet(
                {{"alertname", "DiskFull"}, {"instance", "h2"}, {"severity", "critical"}}))),
            "c2858fd1aa15668d");
}

TEST(FingerprintTest, EmptySetIsTheOffsetBasis) {
  EXPECT_EQ(Fingerprint(LabelSet()), 0xcbf29ce484222325ULL);
}

TEST(FingerprintTest, SeparatorKeepsPairsApart) {
  // Without the 0xff separators these two sets would hash the same bytes.
  EXPECT_NE(Fingerprint(LabelSet({{"ab", "c"}})), Fingerprint(LabelSet({{"a", "bc"}})));
}

TEST(FingerprintTest, HexIsZeroPaddedAndRoundTrips) {
  EXPECT_EQ(FingerprintToHex(0x1f), "000000000000001f");
  EXPECT_EQ(FingerprintFromHex("3e3095adf7ad569a"), 0x3e3095adf7ad569aULL);
  EXPECT_EQ(FingerprintFromHex("3e3095adf7ad569"), std::nullopt);
  EXPECT_EQ(FingerprintFromHex("0x3095adf7ad569a"), std::nullopt);
  EXPECT_EQ(FingerprintFromHex("zz3095adf7ad569a"), std::nullopt);
}

}  // namespace
}  // namespace wecom_notify::alert
