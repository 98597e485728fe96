#include "libs/store/packed_time.h"

#include <gtest/gtest.h>

namespace wecom_notify::store {
namespace {

TEST(PackedTimeTest, EightBytes) { EXPECT_EQ(sizeof(PackedTime), 8u); }

TEST(PackedTimeTest, RoundTripsEveryTimeAnInputCanCarry) {
  const absl::Time times[] = {
      absl::InfinitePast(),
      absl::InfiniteFuture(),
      absl::UnixEpoch(),
      absl::FromUnixNanos(1764936000123456789),
      absl::FromUnixNanos(-1),  // before the epoch, mid-second
      absl::FromCivil(absl::CivilSecond(2262, 4, 11, 0, 0, 0), absl::UTCTimeZone()),
  };
  for (absl::Time time : times) {
    EXPECT_EQ(PackedTime(time).ToTime(), time) << absl::FormatTime(time);
  }
}

TEST(PackedTimeTest, HoldsWhatTheDurableStoreHolds) {
  const absl::Time times[] = {
      absl::UnixEpoch() + absl::Nanoseconds(1) / 4,                                       // sub-ns
      absl::FromCivil(absl::CivilSecond(9999, 12, 31, 23, 59, 59), absl::UTCTimeZone()),  // far
      absl::FromCivil(absl::CivilSecond(1, 1, 2, 0, 0, 0), absl::UTCTimeZone()),
  };
  for (absl::Time time : times) {
    EXPECT_EQ(PackedTime(time).ToTime(), alert::DecodeTime(alert::EncodeTime(time)))
        << absl::FormatTime(time);
    EXPECT_NE(PackedTime(time).ToTime(), time) << absl::FormatTime(time);
  }
}

TEST(PackedTimeTest, DefaultIsInfinitePast) {
  EXPECT_EQ(PackedTime().ToTime(), absl::InfinitePast());
}

}  // namespace
}  // namespace wecom_notify::store
