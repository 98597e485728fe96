#include "libs/alert/alert.h"

#include <gtest/gtest.h>

#include "libs/alert/fingerprint.h"
#include "libs/alert/time_encoding.h"

namespace wecom_notify::alert {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);
const absl::Duration kResolveTimeout = absl::Minutes(5);

Alert Posted(absl::Time starts_at = absl::InfinitePast(), absl::Time ends_at = absl::InfinitePast()) {
  Alert a;
  a.labels = LabelSet({{"alertname", "DiskFull"}});
  a.starts_at = starts_at;
  a.ends_at = ends_at;
  return a;
}

TEST(NormalizeTest, MissingStartIsNowAndMissingEndIsNowPlusResolveTimeout) {
  Alert a = Posted();
  Normalize(a, kNow, kResolveTimeout);
  EXPECT_EQ(a.starts_at, kNow);
  EXPECT_EQ(a.ends_at, kNow + kResolveTimeout);
  EXPECT_TRUE(a.ends_at_from_timeout);
  EXPECT_EQ(a.updated_at, kNow);
  EXPECT_EQ(FingerprintToHex(a.fingerprint), FingerprintToHex(Fingerprint(a.labels)));
}

TEST(NormalizeTest, OnlyEndGivenStartsAtEnd) {
  Alert a = Posted(absl::InfinitePast(), kNow - absl::Minutes(1));
  Normalize(a, kNow, kResolveTimeout);
  EXPECT_EQ(a.starts_at, kNow - absl::Minutes(1));
  EXPECT_FALSE(a.ends_at_from_timeout);
}

TEST(NormalizeTest, TimesTakeTheFormNotifydKeeps) {
  const absl::Time year_9999 =
      absl::FromCivil(absl::CivilSecond(9999, 12, 31, 0, 0, 0), absl::UTCTimeZone());
  Alert a = Posted(kNow + absl::Nanoseconds(1) / 4, year_9999);
  Normalize(a, kNow + absl::Nanoseconds(7) / 4, kResolveTimeout);
  EXPECT_EQ(a.starts_at, kNow);
  EXPECT_EQ(a.ends_at, DecodeTime(EncodeTime(year_9999)));
  EXPECT_LT(a.ends_at, year_9999);
  EXPECT_GT(a.ends_at, kNow);  // still far in the future: never resolves
  EXPECT_EQ(a.updated_at, kNow + absl::Nanoseconds(1));
}

TEST(NormalizeTest, InfiniteFutureEndStaysInfinite) {
  Alert a = Posted(kNow, absl::InfiniteFuture());
  Normalize(a, kNow, kResolveTimeout);
  EXPECT_EQ(a.ends_at, absl::InfiniteFuture());
  EXPECT_FALSE(a.ends_at_from_timeout);
}

TEST(AlertTest, ResolvedOnceEndsAtHasPassed) {
  Alert a = Posted();
  Normalize(a, kNow, kResolveTimeout);
  EXPECT_FALSE(a.ResolvedAt(kNow + kResolveTimeout - absl::Milliseconds(1)));
  EXPECT_TRUE(a.ResolvedAt(kNow + kResolveTimeout));
}

TEST(MergeTest, RepostKeepsStartAndExtendsEnd) {
  Alert first = Posted();
  Normalize(first, kNow, kResolveTimeout);
  Alert again = Posted();
  Normalize(again, kNow + absl::Seconds(5), kResolveTimeout);
  Alert merged = Merge(first, again, kNow + absl::Seconds(5));
  EXPECT_EQ(merged.starts_at, kNow);
  EXPECT_EQ(merged.ends_at, kNow + absl::Seconds(5) + kResolveTimeout);
  EXPECT_EQ(merged.updated_at, kNow + absl::Seconds(5));
}

TEST(MergeTest, ExplicitResolveEndsTheAlert) {
  Alert first = Posted();
  Normalize(first, kNow, kResolveTimeout);
  Alert resolve = Posted(absl::InfinitePast(), kNow + absl::Seconds(10));
  Normalize(resolve, kNow + absl::Seconds(10), kResolveTimeout);
  Alert merged = Merge(first, resolve, kNow + absl::Seconds(10));
  EXPECT_EQ(merged.starts_at, kNow);
  EXPECT_EQ(merged.ends_at, kNow + absl::Seconds(10));
  EXPECT_TRUE(merged.ResolvedAt(kNow + absl::Seconds(10)));
}

TEST(MergeTest, NewerUpdateWinsAnnotations) {
  Alert first = Posted();
  first.annotations = LabelSet({{"summary", "old"}});
  Normalize(first, kNow, kResolveTimeout);
  Alert second = Posted();
  second.annotations = LabelSet({{"summary", "new"}});
  Normalize(second, kNow + absl::Seconds(1), kResolveTimeout);
  EXPECT_EQ(*Merge(first, second, kNow + absl::Seconds(1)).annotations.Get("summary"), "new");
  // Arriving out of order, the older update does not overwrite the newer one.
  EXPECT_EQ(*Merge(second, first, kNow + absl::Seconds(1)).annotations.Get("summary"), "new");
}

TEST(MergeTest, LaterExplicitEndBeatsATimeoutEnd) {
  Alert explicit_end = Posted(kNow, kNow + absl::Hours(1));
  Normalize(explicit_end, kNow, kResolveTimeout);
  Alert timeout_end = Posted();
  Normalize(timeout_end, kNow + absl::Seconds(1), kResolveTimeout);
  Alert merged = Merge(explicit_end, timeout_end, kNow + absl::Seconds(1));
  EXPECT_EQ(merged.ends_at, kNow + absl::Hours(1));
  EXPECT_FALSE(merged.ends_at_from_timeout);
}

TEST(MergeTest, ReactivationAfterResolveReplaces) {
  Alert old = Posted(kNow - absl::Hours(2), kNow - absl::Hours(1));
  Normalize(old, kNow - absl::Hours(1), kResolveTimeout);
  Alert fresh = Posted();
  Normalize(fresh, kNow, kResolveTimeout);
  Alert merged = Merge(old, fresh, kNow);
  EXPECT_EQ(merged.starts_at, kNow);  // ranges do not overlap: a new episode
  EXPECT_FALSE(merged.ResolvedAt(kNow));
}

}  // namespace
}  // namespace wecom_notify::alert
