#include "libs/common/clock.h"

#include <gtest/gtest.h>

namespace wecom_notify {
namespace {

TEST(SimulatedClockTest, StandsStillUntilAdvanced) {
  SimulatedClock clock(absl::FromUnixSeconds(100));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(100));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(100));
  clock.Advance(absl::Milliseconds(1));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(100) + absl::Milliseconds(1));
}

TEST(SimulatedClockTest, SleepForAdvancesInsteadOfBlocking) {
  SimulatedClock clock(absl::FromUnixSeconds(100));
  clock.SleepFor(absl::Seconds(60));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(160));
  clock.SleepFor(-absl::Seconds(5));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(160));
}

TEST(SimulatedClockTest, SetJumpsForward) {
  SimulatedClock clock(absl::FromUnixSeconds(100));
  clock.Set(absl::FromUnixSeconds(5000));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(5000));
}

TEST(RealClockTest, FollowsTheSystemClock) {
  absl::Time before = absl::Now();
  absl::Time now = Clock::Real().Now();
  EXPECT_GE(now, before);
  EXPECT_LT(now - before, absl::Seconds(5));
}

}  // namespace
}  // namespace wecom_notify
