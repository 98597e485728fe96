// File: tests/notify_wire/notify_decoder_test.cc
//
// DecodeNotifyRequest against the reference it replaces: parsing with the generated
// NotifyRequest, then alert::FromProto per alert. Every test feeds both the same bytes.

#include "libs/notify_wire/notify_decoder.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/unknown_field_set.h>
#include <google/protobuf/util/message_differencer.h>

#include <random>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/alert/alert_proto.h"
#include "libs/notify_wire/notify_wire.h"
#include "tests/testing/mutate.h"

namespace wecom_notify::notify_wire {
namespace {

using wecom_notify::v1::NotifyRequest;

// Decodes `bytes` both ways; fails the test unless they agree. Returns whether they decoded.
bool DecodesLikeProtobuf(const std::string& bytes) {
  NotifyRequest reference;
  const bool reference_ok = reference.ParseFromString(bytes);
  auto decoded = DecodeNotifyRequest(bytes);
  EXPECT_EQ(decoded.ok(), reference_ok) << decoded.status();
  if (decoded.ok() != reference_ok) {
    FILE* f = fopen("/tmp/m.bin", "wb");
    fwrite(bytes.data(), 1, bytes.size(), f);
    fclose(f);
  }
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

// `message`'s encoding, the same in every process (a map's order otherwise differs per process,
// and so would every mutation of it).
std::string DeterministicBytes(const google::protobuf::Message& message) {
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  google::protobuf::io::CodedOutputStream output(&stream);
  output.SetSerializationDeterministic(true);
  EXPECT_TRUE(message.SerializeToCodedStream(&output));
  output.Trim();
  return bytes;
}

// Hands `decodes_alike` `mutations` malformed neighbours of `bytes` (tests/testing/mutate.h),
// until the test fails, and expects both outcomes to be common — so that the mutations exercise
// the decoder, not only its first check. `decodes_alike` returns whether a neighbour decoded.
template <typename DecodesAlike>
void ExpectMutationsDecodeAlike(const std::string& bytes, int mutations,
                                DecodesAlike decodes_alike) {
  std::mt19937 random = wecom_notify::testing::MutationRandom();
  // Protobuf logs every string it refuses as not UTF-8: thousands of lines here.
  google::protobuf::LogSilencer quiet;
  int decoded = 0;
  for (int i = 0; i < mutations && !::testing::Test::HasFailure(); ++i) {
    const std::string mutated = wecom_notify::testing::Mutate(bytes, random);
    SCOPED_TRACE(::testing::PrintToString(mutated));
    decoded += decodes_alike(mutated) ? 1 : 0;
  }
  EXPECT_GT(decoded, mutations / 20);
  EXPECT_LT(decoded, mutations - mutations / 20);
}

// Each malformed neighbour of a valid request decodes as protobuf decodes it, or fails as
// protobuf fails.
TEST(NotifyDecoderTest, MutatedEncodingsDecodeLikeProtobuf) {
  ExpectMutationsDecodeAlike(DeterministicBytes(FullRequest()), 20000, DecodesLikeProtobuf);
}

TEST(NotifyDecoderTest, GarbageIsAnErrorNotACrash) {
  for (const std::string& bytes :
       {std::string("\x00", 1), std::string("\x0a\xff\xff\xff\xff\x0f", 6), std::string("\x0c", 1),
        std::string("\x0b\x0a\x00", 3), std::string(64, '\xff')}) {
    SCOPED_TRACE(bytes.size());
    EXPECT_FALSE(DecodesLikeProtobuf(bytes));
  }
}

// The shim's way of building a stream message: a prefix, then the request's own bytes.
TEST(NotifyStreamRequestTest, PrefixPlusRequestIsTheMessageProtobufReads) {
  const std::string request = FullRequest().SerializeAsString();
  for (uint64_t id : {uint64_t{0}, uint64_t{1}, uint64_t{300}, ~uint64_t{0}}) {
    SCOPED_TRACE(id);
    const std::string bytes = NotifyStreamRequestPrefix(id, request.size()) + request;
    wecom_notify::v1::NotifyStreamRequest parsed;
    ASSERT_TRUE(parsed.ParseFromString(bytes));
    EXPECT_EQ(parsed.id(), id);
    EXPECT_TRUE(
        google::protobuf::util::MessageDifferencer::Equals(parsed.request(), FullRequest()));

    auto decoded = DecodeNotifyStreamRequest(bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(decoded->id, id);
    ASSERT_TRUE(decoded->request.ok()) << decoded->request.status();
    EXPECT_EQ(decoded->request->source, wecom_notify::v1::ALERT_SOURCE_WEBHOOK);
    EXPECT_EQ(decoded->request->alerts.size(), 3u);
  }
}

TEST(NotifyStreamRequestTest, GeneratedMessagesDecodeAndRequestRecordsMerge) {
  wecom_notify::v1::NotifyStreamRequest message;
  message.set_id(7);
  *message.mutable_request() = FullRequest();
  auto decoded = DecodeNotifyStreamRequest(message.SerializeAsString());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->id, 7u);
  ASSERT_TRUE(decoded->request.ok());
  EXPECT_EQ(decoded->request->alerts.size(), 3u);

  // Two request records merge: their alert lists join, as protobuf parses them.
  wecom_notify::v1::NotifyStreamRequest twice = message;
  twice.MergeFromString(message.SerializeAsString());
  ASSERT_EQ(twice.request().alerts_size(), 6);
  auto merged =
      DecodeNotifyStreamRequest(message.SerializeAsString() + message.SerializeAsString());
  ASSERT_TRUE(merged.ok()) << merged.status();
  ASSERT_TRUE(merged->request.ok());
  EXPECT_EQ(merged->request->alerts.size(), 6u);

  // No request at all is an empty one, and no id is id 0.
  auto empty = DecodeNotifyStreamRequest("");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->id, 0u);
  ASSERT_TRUE(empty->request.ok());
  EXPECT_TRUE(empty->request->alerts.empty());
}

// Malformed neighbours of a stream message: the generated NotifyStreamRequest parses one
// exactly when the decoder finds both the message and its request sound, with the same id and
// alerts.
TEST(NotifyStreamRequestTest, MutatedMessagesDecodeLikeProtobuf) {
  wecom_notify::v1::NotifyStreamRequest message;
  message.set_id(300);
  *message.mutable_request() = FullRequest();
  ExpectMutationsDecodeAlike(DeterministicBytes(message), 10000, [](const std::string& mutated) {
    wecom_notify::v1::NotifyStreamRequest reference;
    const bool reference_ok = reference.ParseFromString(mutated);
    auto stream = DecodeNotifyStreamRequest(mutated);
    const bool ok = stream.ok() && stream->request.ok();
    EXPECT_EQ(ok, reference_ok) << (stream.ok() ? stream->request.status() : stream.status());
    if (!ok || !reference_ok) return false;
    EXPECT_EQ(stream->id, reference.id());
    EXPECT_EQ(static_cast<int>(stream->request->alerts.size()), reference.request().alerts_size());
    return true;
  });
}

TEST(NotifyStreamRequestTest, ABadRequestIsAnsweredUnderItsIdABadMessageIsNot) {
  // The request's bytes are not a NotifyRequest: the message is fine, its request is refused.
  const std::string bad_request = "\x0a\x05\x0a\x03\x0a\x01";  // alerts[0].labels cut short
  auto decoded =
      DecodeNotifyStreamRequest(NotifyStreamRequestPrefix(42, bad_request.size()) + bad_request);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->id, 42u);
  ASSERT_FALSE(decoded->request.ok());
  EXPECT_EQ(decoded->request.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(decoded->request.status().message()), ::testing::HasSubstr("alerts[0]"));

  // The message itself is cut short: there is no id to answer.
  const std::string request = FullRequest().SerializeAsString();
  const std::string whole = NotifyStreamRequestPrefix(42, request.size()) + request;
  auto cut = DecodeNotifyStreamRequest(whole.substr(0, whole.size() - 1));
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(cut.status().message()), ::testing::HasSubstr("request"));
  EXPECT_FALSE(DecodeNotifyStreamRequest("\x08").ok());  // an id without its value
}

}  // namespace
}  // namespace wecom_notify::notify_wire
