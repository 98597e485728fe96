// File: libs/notify_wire/notify_wire.cc
//
// The encoding rules used here (https://protobuf.dev/programming-guides/encoding/): a record is
// a tag — field number << 3 | wire type — then a varint, or a varint length and that many bytes;
// a map entry is a message with the key as field 1 and the value as field 2; a Timestamp is
// `seconds` (field 1) and `nanos` (field 2), each left out when zero.

#include "libs/notify_wire/notify_wire.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/timestamp.pb.h>

#include <cstdint>
#include <utility>

namespace wecom_notify::notify_wire {
namespace {

using google::protobuf::io::CodedOutputStream;
using wecom_notify::v1::Alert;
using wecom_notify::v1::NotifyRequest;

enum WireType : uint32_t { kVarint = 0, kLengthDelimited = 2 };

constexpr int kMapKeyField = 1;
constexpr int kMapValueField = 2;

uint32_t Tag(int field, WireType type) { return static_cast<uint32_t>(field) << 3 | type; }

std::size_t TagSize(int field) { return CodedOutputStream::VarintSize32(Tag(field, kVarint)); }

void AppendVarint(uint64_t value, std::string* out) {
  uint8_t buffer[10];
  const uint8_t* end = CodedOutputStream::WriteVarint64ToArray(value, buffer);
  out->append(reinterpret_cast<const char*>(buffer), static_cast<std::size_t>(end - buffer));
}

void AppendTag(int field, WireType type, std::string* out) { AppendVarint(Tag(field, type), out); }

std::size_t LengthDelimitedSize(int field, std::size_t length) {
  return TagSize(field) + CodedOutputStream::VarintSize64(length) + length;
}

void AppendLengthDelimited(int field, absl::string_view bytes, std::string* out) {
  AppendTag(field, kLengthDelimited, out);
  AppendVarint(bytes.size(), out);
  out->append(bytes.data(), bytes.size());
}

void AppendMapEntry(int field, absl::string_view key, absl::string_view value, std::string* out) {
  AppendTag(field, kLengthDelimited, out);
  AppendVarint(LengthDelimitedSize(kMapKeyField, key.size()) +
                   LengthDelimitedSize(kMapValueField, value.size()),
               out);
  AppendLengthDelimited(kMapKeyField, key, out);
  AppendLengthDelimited(kMapValueField, value, out);
}

// A Timestamp as alert::TimeToProto sets it: seconds rounded down, nanos in [0, 1e9).
struct TimestampFields {
  explicit TimestampFields(absl::Time time)
      : seconds(absl::ToUnixSeconds(time)),
        nanos(absl::ToInt64Nanoseconds(time - absl::FromUnixSeconds(seconds))) {}

  std::size_t Size() const {
    std::size_t size = 0;
    if (seconds != 0) {
      size += TagSize(google::protobuf::Timestamp::kSecondsFieldNumber) +
              CodedOutputStream::VarintSize64(static_cast<uint64_t>(seconds));
    }
    if (nanos != 0) {
      size += TagSize(google::protobuf::Timestamp::kNanosFieldNumber) +
              CodedOutputStream::VarintSize64(static_cast<uint64_t>(nanos));
    }
    return size;
  }

  void AppendTo(int field, std::string* out) const {
    AppendTag(field, kLengthDelimited, out);
    AppendVarint(Size(), out);
    if (seconds != 0) {
      AppendTag(google::protobuf::Timestamp::kSecondsFieldNumber, kVarint, out);
      AppendVarint(static_cast<uint64_t>(seconds), out);
    }
    if (nanos != 0) {
      AppendTag(google::protobuf::Timestamp::kNanosFieldNumber, kVarint, out);
      AppendVarint(static_cast<uint64_t>(nanos), out);
    }
  }

  int64_t seconds;
  int64_t nanos;
};

}  // namespace

void AlertEncoder::Clear() {
  map_entries_.clear();
  starts_at_.reset();
  ends_at_.reset();
  generator_url_.clear();
}

void AlertEncoder::AddLabel(absl::string_view name, absl::string_view value) {
  AppendMapEntry(Alert::kLabelsFieldNumber, name, value, &map_entries_);
}

void AlertEncoder::AddAnnotation(absl::string_view name, absl::string_view value) {
  AppendMapEntry(Alert::kAnnotationsFieldNumber, name, value, &map_entries_);
}

std::size_t AlertEncoder::EncodedSize() const {
  std::size_t size = map_entries_.size();
  if (starts_at_) {
    size += LengthDelimitedSize(Alert::kStartsAtFieldNumber, TimestampFields(*starts_at_).Size());
  }
  if (ends_at_) {
    size += LengthDelimitedSize(Alert::kEndsAtFieldNumber, TimestampFields(*ends_at_).Size());
  }
  if (!generator_url_.empty()) {
    size += LengthDelimitedSize(Alert::kGeneratorUrlFieldNumber, generator_url_.size());
  }
  return size;
}

void AlertEncoder::AppendTo(std::string* out) const {
  out->append(map_entries_);
  if (starts_at_) TimestampFields(*starts_at_).AppendTo(Alert::kStartsAtFieldNumber, out);
  if (ends_at_) TimestampFields(*ends_at_).AppendTo(Alert::kEndsAtFieldNumber, out);
  if (!generator_url_.empty()) {
    AppendLengthDelimited(Alert::kGeneratorUrlFieldNumber, generator_url_, out);
  }
}

void EncodedNotifyRequest::AddAlert(const AlertEncoder& alert) {
  AppendTag(NotifyRequest::kAlertsFieldNumber, kLengthDelimited, &alerts_);
  AppendVarint(alert.EncodedSize(), &alerts_);
  alert.AppendTo(&alerts_);
  ++alerts_size_;
}

void EncodedNotifyRequest::set_webhook(const wecom_notify::v1::WebhookMetadata& webhook) {
  webhook_.clear();
  AppendLengthDelimited(NotifyRequest::kWebhookFieldNumber, webhook.SerializeAsString(), &webhook_);
}

void EncodedNotifyRequest::AppendAlerts(EncodedNotifyRequest&& other) {
  if (alerts_.empty()) {
    alerts_ = std::move(other.alerts_);
  } else {
    alerts_.append(other.alerts_);
  }
  alerts_size_ += other.alerts_size_;
  other = EncodedNotifyRequest(other.source_);
}

std::string EncodedNotifyRequest::Release() && {
  std::string bytes = std::move(alerts_);
  if (source_ != wecom_notify::v1::ALERT_SOURCE_UNSPECIFIED) {
    AppendTag(NotifyRequest::kSourceFieldNumber, kVarint, &bytes);
    AppendVarint(static_cast<uint64_t>(source_), &bytes);
  }
  bytes.append(webhook_);
  *this = EncodedNotifyRequest(source_);
  return bytes;
}

std::string NotifyStreamRequestPrefix(uint64_t id, std::size_t request_size) {
  std::string prefix;
  prefix.reserve(2 * 10 + 2);
  AppendTag(wecom_notify::v1::NotifyStreamRequest::kIdFieldNumber, kVarint, &prefix);
  AppendVarint(id, &prefix);
  AppendTag(wecom_notify::v1::NotifyStreamRequest::kRequestFieldNumber, kLengthDelimited, &prefix);
  AppendVarint(request_size, &prefix);
  return prefix;
}

}  // namespace wecom_notify::notify_wire
