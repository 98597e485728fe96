// File: tests/notify_wire/notify_decoder_test.cc
//
// DecodeNotifyRequest against the reference it replaces: parsing with the generated
// NotifyRequest, then alert::FromProto per alert. Every test feeds both the same bytes.

#include "libs/notify_wire/notify_decoder.h"

#include <google/protobuf/unknown_field_set.h>

#include <string>

#include "gtest/gtest.h"
#include "libs/alert/alert_proto.h"

namespace wecom_notify::notify_wire {
namespace {

using wecom_notify::v1::NotifyRequest;

// Decodes `bytes` both ways; fails the test unless they agree. Returns whether they decoded.
bool DecodesLikeProtobuf(const std::string& bytes) {
  NotifyRequest reference;
  const bool reference_ok = reference.ParseFromString(bytes);
  auto decoded = DecodeNotifyRequest(bytes);
  EXPECT_EQ(decoded.ok(), reference_ok) << decoded.status();
  if (!decoded.ok() || !reference_ok) return false;
  EXPECT_EQ(decoded->source, reference.source());
  EXPECT_EQ(static_cast<int>(decoded->alerts.size()), reference.alerts_size());
  for (int i = 0; i < reference.alerts_size() && i < static_cast<int>(decoded->alerts.size());
       ++i) {
    const alert::Alert expected = alert::FromProto(reference.alerts(i));
    const alert::Alert& actual = decoded->alerts[static_cast<std::size_t>(i)];
    EXPECT_TRUE(actual.labels == expected.labels) << i;
    EXPECT_TRUE(actual.annotations == expected.annotations) << i;
    EXPECT_EQ(actual.starts_at, expected.starts_at) << i;
    EXPECT_EQ(actual.ends_at, expected.ends_at) << i;
    EXPECT_EQ(actual.generator_url, expected.generator_url) << i;
  }
  return true;
}

NotifyRequest FullRequest() {
  NotifyRequest request;
  request.set_source(wecom_notify::v1::ALERT_SOURCE_WEBHOOK);
  auto* first = request.add_alerts();
  (*first->mutable_labels())["alertname"] = "DiskFull";
  (*first->mutable_labels())["instance"] = "主机-1";
  (*first->mutable_labels())["empty"] = "";
  (*first->mutable_annotations())["description"] = std::string(300, 'd');
  alert::TimeToProto(absl::FromUnixNanos(1795582756576493259), first->mutable_starts_at());
  alert::TimeToProto(absl::FromUnixNanos(-1'500'000'000), first->mutable_ends_at());
  first->set_generator_url("http://prom.example/graph");
  first->set_fingerprint("0123456789abcdef");  // output only: ignored
  first->set_status(wecom_notify::v1::ALERT_STATUS_FIRING);
  first->mutable_updated_at()->set_seconds(5);
  auto* second = request.add_alerts();
  (*second->mutable_labels())["alertname"] = "GoZeroTimes";
  second->mutable_starts_at()->set_seconds(-62135596800);  // 0001-01-01: unset
  second->mutable_ends_at();                               // present, the epoch
  request.add_alerts();                                    // no fields at all
  request.mutable_webhook()->set_receiver("hook");
  (*request.mutable_webhook()->mutable_group_labels())["alertname"] = "DiskFull";
  return request;
}

TEST(NotifyDecoderTest, GeneratedEncodingsDecodeAlike) {
  EXPECT_TRUE(DecodesLikeProtobuf(FullRequest().SerializeAsString()));
  EXPECT_TRUE(DecodesLikeProtobuf(""));
  NotifyRequest grpc_only;
  grpc_only.set_source(wecom_notify::v1::ALERT_SOURCE_GRPC);
  EXPECT_TRUE(DecodesLikeProtobuf(grpc_only.SerializeAsString()));
}

TEST(NotifyDecoderTest, EveryTruncationFailsOrDecodesAlike) {
  const std::string bytes = FullRequest().SerializeAsString();
  int decoded = 0;
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    SCOPED_TRACE(size);
    decoded += DecodesLikeProtobuf(bytes.substr(0, size)) ? 1 : 0;
  }
  EXPECT_GT(decoded, 1);  // cuts at record boundaries are valid, shorter requests
  EXPECT_LT(decoded, static_cast<int>(bytes.size()));
}

TEST(NotifyDecoderTest, ConcatenatedRecordsMergeAsProtobufMergesThem) {
  // One alert record holding two encodings of an alert: a map key given twice (the later wins),
  // a Timestamp given twice (merged field by field), a string given twice (the later wins).
  wecom_notify::v1::Alert early, late;
  (*early.mutable_labels())["severity"] = "warning";
  (*early.mutable_labels())["team"] = "db";
  early.mutable_starts_at()->set_seconds(100);
  early.mutable_starts_at()->set_nanos(5);
  early.set_generator_url("http://early");
  (*late.mutable_labels())["severity"] = "critical";
  late.mutable_starts_at()->set_seconds(200);
  late.set_generator_url("http://late");
  const std::string alert_bytes = early.SerializeAsString() + late.SerializeAsString();

  NotifyRequest holder;
  holder.add_alerts()->ParseFromString(alert_bytes);
  ASSERT_TRUE(DecodesLikeProtobuf(holder.SerializeAsString()));
  // And from the raw concatenation, as the shim's encoder writes repeated keys:
  std::string request_bytes;
  request_bytes += static_cast<char>(0x0a);  // field 1, length-delimited
  request_bytes += static_cast<char>(alert_bytes.size());
  request_bytes += alert_bytes;
  ASSERT_LT(alert_bytes.size(), 128u);
  ASSERT_TRUE(DecodesLikeProtobuf(request_bytes));
  auto decoded = DecodeNotifyRequest(request_bytes);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->alerts[0].labels.Get("severity"), "critical");
  EXPECT_EQ(decoded->alerts[0].starts_at, absl::FromUnixSeconds(200) + absl::Nanoseconds(5));
}

TEST(NotifyDecoderTest, UnknownFieldsAndWrongWireTypesAreSkipped) {
  NotifyRequest request = FullRequest();
  google::protobuf::Message* alert = request.mutable_alerts(0);
  for (google::protobuf::Message* message :
       {static_cast<google::protobuf::Message*>(&request), alert}) {
    google::protobuf::UnknownFieldSet* unknown =
        message->GetReflection()->MutableUnknownFields(message);
    unknown->AddVarint(99, 7);
    unknown->AddFixed32(100, 1);
    unknown->AddFixed64(101, 2);
    unknown->AddLengthDelimited(102, "x");
    unknown->AddGroup(103)->AddVarint(1, 3);
    unknown->AddVarint(1, 5);  // a known field number with the wrong wire type
  }
  EXPECT_TRUE(DecodesLikeProtobuf(request.SerializeAsString()));
}

TEST(NotifyDecoderTest, StringsThatAreNotUtf8AreRefusedNamingTheField) {
  NotifyRequest request;
  (*request.add_alerts()->mutable_labels())["alertname"] = "ok";
  (*request.add_alerts()->mutable_labels())["alertname"] = "\xff\xfe";
  std::string bytes;
  ASSERT_TRUE(request.SerializePartialToString(&bytes));
  EXPECT_FALSE(DecodesLikeProtobuf(bytes));
  auto decoded = DecodeNotifyRequest(bytes);
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(decoded.status().message().find("alerts[1].labels"), absl::string_view::npos)
      << decoded.status();
}

TEST(NotifyDecoderTest, GarbageIsAnErrorNotACrash) {
  for (const std::string& bytes :
       {std::string("\x00", 1), std::string("\x0a\xff\xff\xff\xff\x0f", 6), std::string("\x0c", 1),
        std::string("\x0b\x0a\x00", 3), std::string(64, '\xff')}) {
    SCOPED_TRACE(bytes.size());
    EXPECT_FALSE(DecodesLikeProtobuf(bytes));
  }
}

}  // namespace
}  // namespace wecom_notify::notify_wire
