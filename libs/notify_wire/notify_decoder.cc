// File: libs/notify_wire/notify_decoder.cc
//
// Each message is decoded from its own view: a nested message's record is read as bytes, then
// decoded by a fresh CodedInputStream over them, so one message's end is its view's end.

#include "libs/notify_wire/notify_decoder.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/timestamp.pb.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/alert/alert_proto.h"
#include "libs/alert/validate.h"

namespace wecom_notify::notify_wire {
namespace {

using google::protobuf::io::CodedInputStream;
using wecom_notify::v1::Alert;
using wecom_notify::v1::NotifyRequest;

enum WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

constexpr int kMaxGroupDepth = 64;

int FieldOf(uint32_t tag) { return static_cast<int>(tag >> 3); }
uint32_t WireTypeOf(uint32_t tag) { return tag & 7; }

// Iterates over the records of one message held in `bytes`.
class MessageReader {
 public:
  explicit MessageReader(absl::string_view bytes)
      : input_(reinterpret_cast<const uint8_t*>(bytes.data()), static_cast<int>(bytes.size())) {}

  // The next record's tag; false at the end of the message or on a malformed tag (see
  // ended_cleanly()).
  bool Next(uint32_t* tag) {
    *tag = ReadTag();
    if (*tag != 0) return true;
    ended_cleanly_ = !malformed_tag_ && input_.ConsumedEntireMessage();
    return false;
  }
  // After Next() returned false: whether the message ended where its bytes do.
  bool ended_cleanly() const { return ended_cleanly_; }

  bool ReadBytes(absl::string_view* out) {
    uint32_t length = 0;
    const int start = input_.CurrentPosition();
    if (!input_.ReadVarint32(&length) || input_.CurrentPosition() - start > kMaxTagOrLengthBytes) {
      return false;
    }
    if (length == 0) {
      // Not a null view: a zero-length copy from it (StrJoin's memcpy) is then defined.
      *out = absl::string_view("", 0);
      return true;
    }
    const void* data = nullptr;
    int available = 0;
    if (!input_.GetDirectBufferPointer(&data, &available) ||
        static_cast<uint32_t>(available) < length) {
      return false;
    }
    *out = absl::string_view(static_cast<const char*>(data), length);
    return input_.Skip(static_cast<int>(length));
  }

  bool ReadVarint(uint64_t* out) { return input_.ReadVarint64(out); }

  // Skips the value of a record whose tag was just read.
  bool Skip(uint32_t tag, int depth = 0) {
    switch (WireTypeOf(tag)) {
      case kVarint: {
        uint64_t value;
        return input_.ReadVarint64(&value);
      }
      case kFixed64: {
        uint64_t value;
        return input_.ReadLittleEndian64(&value);
      }
      case kLengthDelimited: {
        absl::string_view value;
        return ReadBytes(&value);
      }
      case kFixed32: {
        uint32_t value;
        return input_.ReadLittleEndian32(&value);
      }
      case kStartGroup: {
        if (depth >= kMaxGroupDepth) return false;
        for (uint32_t inner = ReadTag(); inner != 0; inner = ReadTag()) {
          if (WireTypeOf(inner) == kEndGroup) return FieldOf(inner) == FieldOf(tag);
          if (!Skip(inner, depth + 1)) return false;
        }
        return false;
      }
      default:
        return false;
    }
  }

 private:
  // Protobuf's parser refuses a tag or a length written in more than 5 bytes, where
  // CodedInputStream reads up to 10 and keeps the low 32 bits.
  static constexpr int kMaxTagOrLengthBytes = 5;

  // The next tag; 0 at the end of the message and for a tag protobuf refuses (then
  // malformed_tag_): one too long, or of field number 0, which is no field.
  uint32_t ReadTag() {
    const int start = input_.CurrentPosition();
    const uint32_t tag = input_.ReadTag();
    if (tag == 0) return 0;
    if (FieldOf(tag) == 0 || input_.CurrentPosition() - start > kMaxTagOrLengthBytes) {
      malformed_tag_ = true;
      return 0;
    }
    return tag;
  }

  CodedInputStream input_;
  bool ended_cleanly_ = false;
  bool malformed_tag_ = false;
};

// Reads a string field's record: length-delimited and UTF-8. A record of another wire type under
// a known field number is an unknown field to protobuf, and skipped alike.
enum class Read { kValue, kSkipped, kMalformed };

Read ReadString(MessageReader& reader, uint32_t tag, absl::string_view* out) {
  if (WireTypeOf(tag) != kLengthDelimited)
    return reader.Skip(tag) ? Read::kSkipped : Read::kMalformed;
  if (!reader.ReadBytes(out) || !alert::IsValidUtf8(*out)) {
    return Read::kMalformed;
  }
  return Read::kValue;
}

Read ReadMessage(MessageReader& reader, uint32_t tag, absl::string_view* out) {
  if (WireTypeOf(tag) != kLengthDelimited)
    return reader.Skip(tag) ? Read::kSkipped : Read::kMalformed;
  return reader.ReadBytes(out) ? Read::kValue : Read::kMalformed;
}

// A map<string, string> entry; a missing key or value is "".
bool DecodeMapEntry(absl::string_view bytes, alert::LabelView* out) {
  MessageReader reader(bytes);
  absl::string_view key, value;
  uint32_t tag;
  while (reader.Next(&tag)) {
    Read read = Read::kSkipped;
    if (FieldOf(tag) == 1) {
      read = ReadString(reader, tag, &key);
    } else if (FieldOf(tag) == 2) {
      read = ReadString(reader, tag, &value);
    } else if (!reader.Skip(tag)) {
      read = Read::kMalformed;
    }
    if (read == Read::kMalformed) return false;
  }
  *out = alert::LabelView{key, value};
  return reader.ended_cleanly();
}

// Merges the record into `out`, as protobuf merges a repeated singular message.
bool DecodeTimestamp(absl::string_view bytes, google::protobuf::Timestamp* out) {
  MessageReader reader(bytes);
  uint32_t tag;
  while (reader.Next(&tag)) {
    const int field = FieldOf(tag);
    const bool known =
        WireTypeOf(tag) == kVarint && (field == google::protobuf::Timestamp::kSecondsFieldNumber ||
                                       field == google::protobuf::Timestamp::kNanosFieldNumber);
    if (!known) {
      if (!reader.Skip(tag)) return false;
      continue;
    }
    uint64_t value;
    if (!reader.ReadVarint(&value)) return false;
    if (field == google::protobuf::Timestamp::kSecondsFieldNumber) {
      out->set_seconds(static_cast<int64_t>(value));
    } else {
      out->set_nanos(static_cast<int32_t>(value));
    }
  }
  return reader.ended_cleanly();
}

class AlertDecoder {
 public:
  // Decodes alerts[`index`] into `out`.
  absl::Status Decode(absl::string_view bytes, int index, alert::Alert* out) {
    labels_.clear();
    annotations_.clear();
    absl::string_view generator_url;
    google::protobuf::Timestamp starts_at, ends_at;
    bool has_starts_at = false, has_ends_at = false;
    MessageReader reader(bytes);
    uint32_t tag;
    while (reader.Next(&tag)) {
      absl::string_view value;
      Read read = Read::kSkipped;
      const char* field_name = "";
      switch (FieldOf(tag)) {
        case Alert::kLabelsFieldNumber:
        case Alert::kAnnotationsFieldNumber: {
          const bool is_label = FieldOf(tag) == Alert::kLabelsFieldNumber;
          field_name = is_label ? "labels" : "annotations";
          read = ReadMessage(reader, tag, &value);
          alert::LabelView entry;
          if (read == Read::kValue && !DecodeMapEntry(value, &entry)) read = Read::kMalformed;
          if (read == Read::kValue) (is_label ? labels_ : annotations_).push_back(entry);
          break;
        }
        case Alert::kStartsAtFieldNumber:
        case Alert::kEndsAtFieldNumber: {
          const bool is_start = FieldOf(tag) == Alert::kStartsAtFieldNumber;
          field_name = is_start ? "starts_at" : "ends_at";
          read = ReadMessage(reader, tag, &value);
          if (read == Read::kValue && !DecodeTimestamp(value, is_start ? &starts_at : &ends_at)) {
            read = Read::kMalformed;
          }
          if (read == Read::kValue) (is_start ? has_starts_at : has_ends_at) = true;
          break;
        }
        case Alert::kGeneratorUrlFieldNumber:
          field_name = "generator_url";
          read = ReadString(reader, tag, &value);
          if (read == Read::kValue) generator_url = value;
          break;
        // Output only: not kept, but checked as protobuf checks them, so that a request is
        // refused exactly when the generated message would refuse it.
        case Alert::kFingerprintFieldNumber:
          field_name = "fingerprint";
          read = ReadString(reader, tag, &value);
          break;
        case Alert::kUpdatedAtFieldNumber: {
          field_name = "updated_at";
          read = ReadMessage(reader, tag, &value);
          google::protobuf::Timestamp unused;
          if (read == Read::kValue && !DecodeTimestamp(value, &unused)) read = Read::kMalformed;
          break;
        }
        default:  // status (output only; an open enum takes any varint) and unknown fields
          if (!reader.Skip(tag)) read = Read::kMalformed;
      }
      if (read == Read::kMalformed) return Malformed(index, field_name);
    }
    if (!reader.ended_cleanly()) return Malformed(index, "");

    out->labels = alert::LabelSet::FromViews(absl::MakeSpan(labels_));
    out->annotations = alert::LabelSet::FromViews(absl::MakeSpan(annotations_));
    if (has_starts_at) out->starts_at = alert::TimeFromProto(starts_at);
    if (has_ends_at) out->ends_at = alert::TimeFromProto(ends_at);
    // Alerts of one rule, usually posted together, share one URL block (shared_text.h).
    if (generator_url != previous_url_.view()) previous_url_ = alert::SharedText(generator_url);
    out->generator_url = previous_url_;
    return absl::OkStatus();
  }

 private:
  static absl::Status Malformed(int index, absl::string_view field) {
    return absl::InvalidArgumentError(absl::StrCat(
        "alerts[", index, "]", field.empty() ? "" : ".", field,
        ": not a valid encoding (a truncated or malformed record, or a string not UTF-8)"));
  }

  // Views into the request, reused from alert to alert.
  absl::InlinedVector<alert::LabelView, 8> labels_;
  absl::InlinedVector<alert::LabelView, 8> annotations_;
  alert::SharedText previous_url_;
};

absl::Status MalformedRequest(absl::string_view field) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": not a valid encoding (a truncated or malformed record)"));
}

// How many alert records `bytes` holds, counted up to the first malformed record (which the
// decoding proper then reports): the alerts vector is sized once instead of growing by doubling,
// which moved every decoded alert again (1 % of notifyd under batched ingest).
std::size_t CountAlerts(absl::string_view bytes) {
  MessageReader reader(bytes);
  std::size_t alerts = 0;
  uint32_t tag;
  while (reader.Next(&tag)) {
    if (FieldOf(tag) == NotifyRequest::kAlertsFieldNumber && WireTypeOf(tag) == kLengthDelimited) {
      ++alerts;
    }
    if (!reader.Skip(tag)) break;
  }
  return alerts;
}

}  // namespace

absl::StatusOr<DecodedNotifyRequest> DecodeNotifyRequest(absl::string_view bytes) {
  DecodedNotifyRequest request;
  request.alerts.reserve(CountAlerts(bytes));
  AlertDecoder alert_decoder;
  MessageReader reader(bytes);
  uint32_t tag;
  while (reader.Next(&tag)) {
    const int field = FieldOf(tag);
    if (field == NotifyRequest::kAlertsFieldNumber && WireTypeOf(tag) == kLengthDelimited) {
      absl::string_view alert_bytes;
      const int index = static_cast<int>(request.alerts.size());
      if (!reader.ReadBytes(&alert_bytes))
        return MalformedRequest(absl::StrCat("alerts[", index, "]"));
      auto status = alert_decoder.Decode(alert_bytes, index, &request.alerts.emplace_back());
      if (!status.ok()) return status;
    } else if (field == NotifyRequest::kSourceFieldNumber && WireTypeOf(tag) == kVarint) {
      uint64_t source;
      if (!reader.ReadVarint(&source)) return MalformedRequest("source");
      request.source = static_cast<wecom_notify::v1::AlertSource>(static_cast<int32_t>(source));
    } else if (field == NotifyRequest::kWebhookFieldNumber && WireTypeOf(tag) == kLengthDelimited) {
      // Not used by notifyd, but held to protobuf's rules like the rest (one per request).
      absl::string_view webhook;
      wecom_notify::v1::WebhookMetadata parsed;
      if (!reader.ReadBytes(&webhook) ||
          !parsed.ParseFromArray(webhook.data(), static_cast<int>(webhook.size()))) {
        return MalformedRequest("webhook");
      }
    } else if (!reader.Skip(tag)) {
      return MalformedRequest("(request)");
    }
  }
  if (!reader.ended_cleanly()) return MalformedRequest("(request)");
  return request;
}

absl::StatusOr<DecodedNotifyStreamRequest> DecodeNotifyStreamRequest(absl::string_view bytes) {
  using wecom_notify::v1::NotifyStreamRequest;
  DecodedNotifyStreamRequest decoded;
  absl::InlinedVector<absl::string_view, 1> request_records;
  MessageReader reader(bytes);
  uint32_t tag;
  while (reader.Next(&tag)) {
    const int field = FieldOf(tag);
    if (field == NotifyStreamRequest::kIdFieldNumber && WireTypeOf(tag) == kVarint) {
      if (!reader.ReadVarint(&decoded.id)) return MalformedRequest("id");
    } else if (field == NotifyStreamRequest::kRequestFieldNumber &&
               WireTypeOf(tag) == kLengthDelimited) {
      if (!reader.ReadBytes(&request_records.emplace_back())) return MalformedRequest("request");
    } else if (!reader.Skip(tag)) {
      return MalformedRequest("(stream request)");
    }
  }
  if (!reader.ended_cleanly()) return MalformedRequest("(stream request)");
  if (request_records.size() <= 1) {
    decoded.request =
        DecodeNotifyRequest(request_records.empty() ? absl::string_view() : request_records[0]);
  } else {
    // Merging two encodings of a message is decoding their concatenation.
    decoded.request = DecodeNotifyRequest(absl::StrJoin(request_records, ""));
  }
  return decoded;
}

}  // namespace wecom_notify::notify_wire
