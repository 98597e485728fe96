#include "libs/alert/alert_proto.h"

#include <gtest/gtest.h>

namespace wecom_notify::alert {
namespace {

TEST(AlertProtoTest, GoZeroTimeMeansUnset) {
  wecom_notify::v1::Alert proto;
  (*proto.mutable_labels())["alertname"] = "x";
  proto.mutable_ends_at()->set_seconds(-62135596800);  // 0001-01-01T00:00:00Z
  Alert a = FromProto(proto);
  EXPECT_EQ(a.ends_at, absl::InfinitePast());
  EXPECT_EQ(a.starts_at, absl::InfinitePast());
}

TEST(AlertProtoTest, RoundTripKeepsFieldsAndComputesOutputs) {
  const absl::Time now = absl::FromUnixSeconds(1'700'000'000);
  Alert a;
  a.labels = LabelSet({{"alertname", "zero"}});
  a.annotations = LabelSet({{"summary", "磁盘"}});
  a.generator_url = "http://prom/graph";
  Normalize(a, now, absl::Minutes(5));

  wecom_notify::v1::Alert proto;
  ToProto(a, now, &proto);
  EXPECT_EQ(proto.fingerprint(), "7397d9f5ae7b8ff2");
  EXPECT_EQ(proto.status(), wecom_notify::v1::ALERT_STATUS_FIRING);
  EXPECT_EQ(proto.starts_at().seconds(), 1'700'000'000);
  EXPECT_EQ(proto.annotations().at("summary"), "磁盘");

  Alert back = FromProto(proto);
  EXPECT_EQ(back.labels, a.labels);
  EXPECT_EQ(back.annotations, a.annotations);
  EXPECT_EQ(back.starts_at, a.starts_at);
  EXPECT_EQ(back.ends_at, a.ends_at);

  wecom_notify::v1::Alert later;
  ToProto(a, now + absl::Minutes(5), &later);
  EXPECT_EQ(later.status(), wecom_notify::v1::ALERT_STATUS_RESOLVED);
}

TEST(AlertProtoTest, SubSecondTimesSurvive) {
  google::protobuf::Timestamp ts;
  const absl::Time t = absl::FromUnixNanos(1'700'000'000'576'493'259);
  TimeToProto(t, &ts);
  EXPECT_EQ(ts.nanos(), 576'493'259);
  EXPECT_EQ(TimeFromProto(ts), t);
}

TEST(AlertProtoTest, MatcherFromProtoRejectsBadRegex) {
  wecom_notify::v1::LabelMatcher m;
  m.set_name("severity");
  m.set_type(wecom_notify::v1::LabelMatcher::REGEX);
  m.set_value("(");
  EXPECT_EQ(MatcherFromProto(m).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace wecom_notify::alert
