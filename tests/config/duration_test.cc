#include "libs/config/duration.h"

#include <gtest/gtest.h>

namespace wecom_notify::config {
namespace {

TEST(DurationTest, ParsesPrometheusDurations) {
  EXPECT_EQ(*ParseDuration("5m"), absl::Minutes(5));
  EXPECT_EQ(*ParseDuration("1h30m"), absl::Minutes(90));
  EXPECT_EQ(*ParseDuration("500ms"), absl::Milliseconds(500));
  EXPECT_EQ(*ParseDuration("1d"), absl::Hours(24));
  EXPECT_EQ(*ParseDuration("1w"), absl::Hours(24 * 7));
  EXPECT_EQ(*ParseDuration("0"), absl::ZeroDuration());
}

TEST(DurationTest, RejectsWhatPrometheusRejects) {
  for (const char* bad : {"", "5", "m", "5x", "1m1h", "5m5m", "-5m", "1.5h", " 5m"}) {
    EXPECT_FALSE(ParseDuration(bad).ok()) << bad;
  }
}

TEST(DurationTest, FormatRoundTrips) {
  EXPECT_EQ(DurationToString(absl::Minutes(90)), "1h30m");
  EXPECT_EQ(DurationToString(absl::Hours(12)), "12h");
  EXPECT_EQ(DurationToString(absl::ZeroDuration()), "0s");
  EXPECT_EQ(*ParseDuration(DurationToString(absl::Milliseconds(3723004))), absl::Milliseconds(3723004));
}

}  // namespace
}  // namespace wecom_notify::config
