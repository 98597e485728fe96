#include "libs/wecom/rate_limiter.h"

#include "gtest/gtest.h"

namespace wecom_notify::wecom {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

TEST(RateLimiterTest, AdmitsUpToTheLimitThenTheWindowAfterTheOldest) {
  RateLimiter limiter({{absl::Minutes(1), 3}});
  const std::vector<std::string> key = {"k"};
  EXPECT_EQ(limiter.Reserve(key, kT0), kT0);
  EXPECT_EQ(limiter.Reserve(key, kT0 + absl::Seconds(10)), kT0 + absl::Seconds(10));
  EXPECT_EQ(limiter.Reserve(key, kT0 + absl::Seconds(20)), kT0 + absl::Seconds(20));
  // 4th: the oldest (t0) frees its slot at t0 + 60 s, not a millisecond earlier.
  EXPECT_EQ(limiter.NextAllowed(key, kT0 + absl::Seconds(30)), kT0 + absl::Seconds(60));
  EXPECT_EQ(limiter.Reserve(key, kT0 + absl::Seconds(30)), kT0 + absl::Seconds(60));
  EXPECT_EQ(limiter.Reserve(key, kT0 + absl::Seconds(30)), kT0 + absl::Seconds(70));
}

TEST(RateLimiterTest, MultiKeySendWaitsForTheBusiestKey) {
  RateLimiter limiter({{absl::Minutes(1), 1}});
  limiter.Reserve({"a"}, kT0);
  limiter.Reserve({"b"}, kT0 + absl::Seconds(30));
  EXPECT_EQ(limiter.Reserve({"a", "b"}, kT0 + absl::Seconds(31)), kT0 + absl::Seconds(90));
  EXPECT_EQ(limiter.Booked("a", absl::Minutes(1), kT0 + absl::Seconds(90)), 1u);
}

TEST(RateLimiterTest, KeysAreIndependent) {
  RateLimiter limiter({{absl::Minutes(1), 1}});
  limiter.Reserve({"a"}, kT0);
  EXPECT_EQ(limiter.Reserve({"b"}, kT0), kT0);
}

TEST(RateLimiterTest, BothAppWindowsApply) {
  RateLimiter limiter(AppMessageLimits());
  absl::Time at = kT0;
  for (int i = 0; i < 1000; ++i) at = limiter.Reserve({"u"}, at);
  // 1000 sends at 30/min take 33 full minutes; the 1001st must wait for the hour to pass.
  EXPECT_GE(limiter.NextAllowed({"u"}, at), kT0 + absl::Hours(1));
  EXPECT_EQ(limiter.Booked("u", absl::Hours(1), at), 1000u);
}

TEST(RateLimiterTest, ASettledLateSendPushesTheNextWindowBack) {
  RateLimiter limiter({{absl::Minutes(1), 2}});
  const std::vector<std::string> key = {"k"};
  const absl::Time first = limiter.Reserve(key, kT0);
  limiter.Reserve(key, kT0 + absl::Seconds(1));
  // The first send took 8 s to reach WeCom: the third may not start before 8 s + 60 s.
  limiter.Settle(key, first, kT0 + absl::Seconds(8));
  EXPECT_EQ(limiter.NextAllowed(key, kT0 + absl::Seconds(2)), kT0 + absl::Seconds(61));
  limiter.Reserve(key, kT0 + absl::Seconds(2));  // books t0 + 61 s
  EXPECT_EQ(limiter.NextAllowed(key, kT0 + absl::Seconds(2)), kT0 + absl::Seconds(68));
  // Settling earlier than booked, or a booking that does not exist, changes nothing.
  limiter.Settle(key, kT0 + absl::Seconds(61), kT0 + absl::Seconds(50));
  limiter.Settle(key, kT0 + absl::Seconds(3), kT0 + absl::Seconds(90));
  EXPECT_EQ(limiter.NextAllowed(key, kT0 + absl::Seconds(2)), kT0 + absl::Seconds(68));
}

TEST(RateLimiterTest, ArrivalGuardWidensEveryWindow) {
  RateLimiter limiter({{absl::Minutes(1), 1}}, absl::Seconds(5));
  const std::vector<std::string> key = {"k"};
  limiter.Reserve(key, kT0);
  EXPECT_EQ(limiter.Reserve(key, kT0), kT0 + absl::Seconds(65));
  // Pruning keeps what still counts under the widened window.
  EXPECT_EQ(limiter.Reserve(key, kT0 + absl::Seconds(64)), kT0 + absl::Seconds(130));
}

}  // namespace
}  // namespace wecom_notify::wecom
