// File: tests/notify_wire/notify_wire_test.cc
//
// The encoded request must decode, with the generated NotifyRequest, to the very message the
// same calls on the generated API build: every test builds both and compares them.

#include "libs/notify_wire/notify_wire.h"

#include <google/protobuf/util/message_differencer.h>

#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "libs/alert/alert_proto.h"

namespace wecom_notify::notify_wire {
namespace {

using google::protobuf::util::MessageDifferencer;
using wecom_notify::v1::NotifyRequest;

NotifyRequest Decode(EncodedNotifyRequest request) {
  NotifyRequest decoded;
  EXPECT_TRUE(decoded.ParseFromString(std::move(request).Release()));
  return decoded;
}

void ExpectDecodesTo(EncodedNotifyRequest encoded, const NotifyRequest& expected) {
  const NotifyRequest decoded = Decode(std::move(encoded));
  std::string differences;
  MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&differences);
  EXPECT_TRUE(differencer.Compare(expected, decoded)) << differences;
}

TEST(NotifyWireTest, EveryAlertFieldDecodesAsBuilt) {
  const absl::Time starts = absl::FromUnixNanos(1795582756576493259);
  const absl::Time ends = absl::FromUnixSeconds(1795582800);  // no nanos
  const std::string long_value(300, 'v');                     // a two-byte length

  AlertEncoder alert;
  alert.AddLabel("alertname", "DiskFull");
  alert.AddLabel("instance", "主机-1");
  alert.AddLabel("empty", "");
  alert.AddAnnotation("description", long_value);
  alert.SetStartsAt(starts);
  alert.SetEndsAt(ends);
  alert.SetGeneratorUrl("http://prom.example/graph?g0.expr=up");
  EncodedNotifyRequest encoded(wecom_notify::v1::ALERT_SOURCE_API);
  encoded.AddAlert(alert);
  EXPECT_EQ(encoded.alerts_size(), 1);
  EXPECT_FALSE(encoded.has_webhook());

  NotifyRequest expected;
  expected.set_source(wecom_notify::v1::ALERT_SOURCE_API);
  auto* built = expected.add_alerts();
  (*built->mutable_labels())["alertname"] = "DiskFull";
  (*built->mutable_labels())["instance"] = "主机-1";
  (*built->mutable_labels())["empty"] = "";
  (*built->mutable_annotations())["description"] = long_value;
  alert::TimeToProto(starts, built->mutable_starts_at());
  alert::TimeToProto(ends, built->mutable_ends_at());
  built->set_generator_url("http://prom.example/graph?g0.expr=up");
  ExpectDecodesTo(std::move(encoded), expected);
}

TEST(NotifyWireTest, TimesBeforeTheEpochAndTheEpochItselfKeepTheirPresence) {
  const absl::Time before_epoch = absl::FromUnixNanos(-1'500'000'000);  // -2 s + 0.5 s
  AlertEncoder alert;
  alert.AddLabel("a", "b");
  alert.SetStartsAt(before_epoch);
  alert.SetEndsAt(absl::UnixEpoch());  // an empty Timestamp, but a present one
  EncodedNotifyRequest encoded;
  encoded.AddAlert(alert);

  NotifyRequest expected;
  auto* built = expected.add_alerts();
  (*built->mutable_labels())["a"] = "b";
  alert::TimeToProto(before_epoch, built->mutable_starts_at());
  built->mutable_ends_at();
  ExpectDecodesTo(std::move(encoded), expected);
  EXPECT_EQ(expected.alerts(0).starts_at().seconds(), -2);
  EXPECT_EQ(expected.alerts(0).starts_at().nanos(), 500'000'000);
}

TEST(NotifyWireTest, LaterValuesWinAndClearedFieldsAreLeftOut) {
  AlertEncoder alert;
  alert.AddLabel("severity", "warning");
  alert.AddLabel("severity", "critical");
  alert.SetStartsAt(absl::FromUnixSeconds(100));
  alert.ClearStartsAt();
  alert.SetEndsAt(absl::FromUnixSeconds(100));
  alert.SetEndsAt(absl::FromUnixSeconds(200));
  EncodedNotifyRequest encoded;
  encoded.AddAlert(alert);

  NotifyRequest expected;
  auto* built = expected.add_alerts();
  (*built->mutable_labels())["severity"] = "critical";
  alert::TimeToProto(absl::FromUnixSeconds(200), built->mutable_ends_at());
  ExpectDecodesTo(std::move(encoded), expected);
}

TEST(NotifyWireTest, AReusedEncoderForgetsThePreviousAlert) {
  AlertEncoder alert;
  EncodedNotifyRequest encoded;
  alert.AddLabel("alertname", "First");
  alert.SetStartsAt(absl::FromUnixSeconds(100));
  alert.SetGeneratorUrl("http://first");
  encoded.AddAlert(alert);
  alert.Clear();
  alert.AddLabel("alertname", "Second");
  encoded.AddAlert(alert);

  NotifyRequest expected;
  auto* first = expected.add_alerts();
  (*first->mutable_labels())["alertname"] = "First";
  alert::TimeToProto(absl::FromUnixSeconds(100), first->mutable_starts_at());
  first->set_generator_url("http://first");
  (*expected.add_alerts()->mutable_labels())["alertname"] = "Second";
  ExpectDecodesTo(std::move(encoded), expected);
}

EncodedNotifyRequest RequestNamed(std::initializer_list<const char*> names,
                                  wecom_notify::v1::AlertSource source) {
  EncodedNotifyRequest request(source);
  AlertEncoder alert;
  for (const char* name : names) {
    alert.Clear();
    alert.AddLabel("alertname", name);
    request.AddAlert(alert);
  }
  return request;
}

TEST(NotifyWireTest, AppendedRequestsDecodeAsOneListInOrder) {
  EncodedNotifyRequest merged(wecom_notify::v1::ALERT_SOURCE_API);
  merged.AppendAlerts(RequestNamed({"a", "b"}, wecom_notify::v1::ALERT_SOURCE_API));
  merged.AppendAlerts(RequestNamed({}, wecom_notify::v1::ALERT_SOURCE_API));
  merged.AppendAlerts(RequestNamed({"c"}, wecom_notify::v1::ALERT_SOURCE_API));
  EXPECT_EQ(merged.alerts_size(), 3);

  NotifyRequest expected;
  expected.set_source(wecom_notify::v1::ALERT_SOURCE_API);
  for (const char* name : {"a", "b", "c"}) {
    (*expected.add_alerts()->mutable_labels())["alertname"] = name;
  }
  ExpectDecodesTo(std::move(merged), expected);
}

TEST(NotifyWireTest, WebhookMetadataIsPresentEvenWhenAllDefault) {
  EncodedNotifyRequest encoded(wecom_notify::v1::ALERT_SOURCE_WEBHOOK);
  encoded.set_webhook(wecom_notify::v1::WebhookMetadata());
  EXPECT_TRUE(encoded.has_webhook());
  NotifyRequest decoded = Decode(std::move(encoded));
  EXPECT_TRUE(decoded.has_webhook());
  EXPECT_EQ(decoded.source(), wecom_notify::v1::ALERT_SOURCE_WEBHOOK);

  wecom_notify::v1::WebhookMetadata meta;
  meta.set_receiver("hook");
  (*meta.mutable_group_labels())["alertname"] = "DiskFull";
  meta.set_truncated_alerts(3);
  EncodedNotifyRequest with_meta = RequestNamed({"x"}, wecom_notify::v1::ALERT_SOURCE_WEBHOOK);
  with_meta.set_webhook(meta);
  NotifyRequest expected;
  expected.set_source(wecom_notify::v1::ALERT_SOURCE_WEBHOOK);
  (*expected.add_alerts()->mutable_labels())["alertname"] = "x";
  *expected.mutable_webhook() = meta;
  ExpectDecodesTo(std::move(with_meta), expected);
}

TEST(NotifyWireTest, ReleaseLeavesAnEmptyRequestOfTheSameSource) {
  EncodedNotifyRequest encoded = RequestNamed({"a"}, wecom_notify::v1::ALERT_SOURCE_GRPC);
  EXPECT_FALSE(std::move(encoded).Release().empty());
  EXPECT_EQ(encoded.alerts_size(), 0);  // NOLINT(bugprone-use-after-move): Release() documents it
  NotifyRequest expected;
  expected.set_source(wecom_notify::v1::ALERT_SOURCE_GRPC);
  ExpectDecodesTo(std::move(encoded), expected);
}

}  // namespace
}  // namespace wecom_notify::notify_wire
