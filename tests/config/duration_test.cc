#include "libs/config/duration.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

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

TEST(DurationTest, FlagErrorsNameTheFlag) {
  EXPECT_EQ(*ParseDurationFlag("web.read-timeout", "30s", /*zero_allowed=*/false),
            absl::Seconds(30));
  EXPECT_EQ(*ParseDurationFlag("config.watch-interval", "0", /*zero_allowed=*/true),
            absl::ZeroDuration());
  absl::Status zero = ParseDurationFlag("web.read-timeout", "0", /*zero_allowed=*/false).status();
  EXPECT_EQ(zero.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(zero.message(), "--web.read-timeout: must be greater than 0");
  absl::Status bad = ParseDurationFlag("notify.timeout", "soon", /*zero_allowed=*/true).status();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(bad.message(), "--notify.timeout: not a valid duration string"))
      << bad;
}

// Prometheus keeps durations in int64 nanoseconds: what does not fit is refused there, and so
// here, rather than meaning a 300,000-year repeat_interval.
TEST(DurationTest, WhatPrometheusCannotHoldIsOutOfRange) {
  EXPECT_EQ(*ParseDuration("292y"), absl::Hours(292 * 365 * 24));
  for (const char* text :
       {"293y", "300000y", "292y1000d", "9223372037s", "99999999999999999999h"}) {
    const absl::Status s = ParseDuration(text).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_TRUE(absl::StrContains(s.message(), text)) << s;
  }
  EXPECT_TRUE(absl::StrContains(ParseDuration("293y").status().message(), "out of range"));
}

}  // namespace
}  // namespace wecom_notify::config
