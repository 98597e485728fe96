#include "libs/alert/time_encoding.h"

#include <gtest/gtest.h>

#include <limits>

namespace wecom_notify::alert {
namespace {

TEST(TimeEncodingTest, InfinitiesAreSentinels) {
  EXPECT_EQ(EncodeTime(absl::InfinitePast()), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(EncodeTime(absl::InfiniteFuture()), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(DecodeTime(EncodeTime(absl::InfinitePast())), absl::InfinitePast());
  EXPECT_EQ(DecodeTime(EncodeTime(absl::InfiniteFuture())), absl::InfiniteFuture());
}

TEST(TimeEncodingTest, RoundTripsNanoseconds) {
  for (absl::Time time : {absl::UnixEpoch(), absl::FromUnixNanos(1'764'046'756'576'493'259),
                          absl::FromUnixNanos(-1), absl::FromUnixNanos(-123'456'789'012)}) {
    EXPECT_EQ(DecodeTime(EncodeTime(time)), time) << time;
  }
}

TEST(TimeEncodingTest, SubNanosecondsTruncateTowardThePast) {
  const absl::Duration quarter = absl::Nanoseconds(1) / 4;
  EXPECT_EQ(EncodeTime(absl::FromUnixNanos(5) + 3 * quarter), 5);
  EXPECT_EQ(EncodeTime(absl::FromUnixNanos(-5) - quarter), -6);
}

TEST(TimeEncodingTest, FarTimesClampAndNeverBecomeInfinite) {
  const absl::Time year_1 =
      absl::FromCivil(absl::CivilSecond(1, 1, 1, 0, 0, 0), absl::UTCTimeZone());
  const absl::Time year_9999 =
      absl::FromCivil(absl::CivilSecond(9999, 1, 1, 0, 0, 0), absl::UTCTimeZone());
  EXPECT_EQ(EncodeTime(year_1), std::numeric_limits<int64_t>::min() + 1);
  EXPECT_EQ(EncodeTime(year_9999), std::numeric_limits<int64_t>::max() - 1);
  EXPECT_NE(DecodeTime(EncodeTime(year_1)), absl::InfinitePast());
  EXPECT_NE(DecodeTime(EncodeTime(year_9999)), absl::InfiniteFuture());
}

}  // namespace
}  // namespace wecom_notify::alert
