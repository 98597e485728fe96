#include "libs/store/packed_time.h"

#include <gtest/gtest.h>

namespace wecom_notify::store {
namespace {

TEST(PackedTimeTest, TwelveBytes) { EXPECT_EQ(sizeof(PackedTime), 12u); }

TEST(PackedTimeTest, RoundTripsExactly) {
  const absl::Duration quarter = absl::Nanoseconds(1) / 4;
  const absl::Time times[] = {
      absl::InfinitePast(),
      absl::InfiniteFuture(),
      absl::UnixEpoch(),
      absl::FromUnixNanos(1764936000123456789),
      absl::FromUnixNanos(-1),              // before the epoch, mid-second
      absl::FromUnixSeconds(-5) - quarter,  // negative, sub-nanosecond
      absl::UnixEpoch() + 3 * quarter,      // absl::Time's own resolution
      absl::FromCivil(absl::CivilSecond(1, 1, 1, 0, 0, 0), absl::UTCTimeZone()),  // Go's zero
      absl::FromCivil(absl::CivilSecond(9999, 12, 31, 23, 59, 59), absl::UTCTimeZone()) +
          absl::Nanoseconds(999999999),
  };
  for (absl::Time time : times) {
    EXPECT_EQ(PackedTime(time).ToTime(), time) << absl::FormatTime(time);
  }
}

TEST(PackedTimeTest, DefaultIsInfinitePast) {
  EXPECT_EQ(PackedTime().ToTime(), absl::InfinitePast());
}

}  // namespace
}  // namespace wecom_notify::store
