// File: libs/notify_wire/notify_wire.h
//
// A wecom_notify.v1.NotifyRequest built straight in protobuf wire encoding, for the shim's ingest
// path. Building the generated message instead costs a heap-allocated map entry and two strings
// per label, then one pass to size and one to serialize them: in the batched profile that was
// most of webhook-shim's CPU (docs/performance.md). Here each alert is appended to one buffer
// while its JSON is walked, and requests merge by concatenation — the records of a repeated field
// may be spread over a message's bytes, so the alerts of two requests followed by one `source`
// decode as one request holding both lists, in order.
//
// The bytes decode with the generated NotifyRequest to exactly the message the same calls on it
// would have built (tests/notify_wire/notify_wire_test.cc holds them to that).
//
// Thread-safety: none; a request or an encoder is used by one thread at a time.

#ifndef WECOM_NOTIFY_LIBS_NOTIFY_WIRE_NOTIFY_WIRE_H_
#define WECOM_NOTIFY_LIBS_NOTIFY_WIRE_NOTIFY_WIRE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "wecom_notify/v1/notify.pb.h"

namespace wecom_notify::notify_wire {

// One wecom_notify.v1.Alert, field by field. Reuse one encoder for every alert of a request
// (Clear() keeps its buffers).
class AlertEncoder {
 public:
  void Clear();

  // Map entries, appended as given: of two pairs with one name the later wins when decoded, as
  // with the generated map's operator[].
  void AddLabel(absl::string_view name, absl::string_view value);
  void AddAnnotation(absl::string_view name, absl::string_view value);

  // Singular fields: the last call wins; a field never set (or cleared) is left out.
  void SetStartsAt(absl::Time time) { starts_at_ = time; }
  void ClearStartsAt() { starts_at_.reset(); }
  void SetEndsAt(absl::Time time) { ends_at_ = time; }
  void ClearEndsAt() { ends_at_.reset(); }
  void SetGeneratorUrl(absl::string_view url) { generator_url_.assign(url.data(), url.size()); }

 private:
  friend class EncodedNotifyRequest;

  // Appends the alert's encoding (without its own tag and length) to `out`.
  void AppendTo(std::string* out) const;
  std::size_t EncodedSize() const;

  std::string map_entries_;  // labels and annotations, already encoded
  std::optional<absl::Time> starts_at_;
  std::optional<absl::Time> ends_at_;
  std::string generator_url_;
};

class EncodedNotifyRequest {
 public:
  explicit EncodedNotifyRequest(
      wecom_notify::v1::AlertSource source = wecom_notify::v1::ALERT_SOURCE_UNSPECIFIED)
      : source_(source) {}

  wecom_notify::v1::AlertSource source() const { return source_; }
  void set_source(wecom_notify::v1::AlertSource source) { source_ = source; }
  int alerts_size() const { return alerts_size_; }
  bool has_webhook() const { return !webhook_.empty(); }

  void AddAlert(const AlertEncoder& alert);
  void set_webhook(const wecom_notify::v1::WebhookMetadata& webhook);

  // Appends `other`'s alerts after this request's own; `other`'s source and webhook metadata are
  // dropped (a caller merges only requests of one source without metadata).
  void AppendAlerts(EncodedNotifyRequest&& other);

  // The complete NotifyRequest encoding; leaves this request empty.
  std::string Release() &&;

 private:
  wecom_notify::v1::AlertSource source_;
  int alerts_size_ = 0;
  std::string alerts_;   // the `alerts` records (field 1), tag and length included
  std::string webhook_;  // the `webhook` record (field 3), or empty
};

// NotifyStreamRequestPrefix()
//
// The bytes of a wecom_notify.v1.NotifyStreamRequest that come before its request: the id, then
// the request record's tag and length. Followed by the `request_size` bytes of an encoded
// NotifyRequest (EncodedNotifyRequest::Release()) they are the whole stream message, so the
// request is sent as it is, uncopied, behind a prefix of a few bytes.
std::string NotifyStreamRequestPrefix(uint64_t id, std::size_t request_size);

}  // namespace wecom_notify::notify_wire

#endif  // WECOM_NOTIFY_LIBS_NOTIFY_WIRE_NOTIFY_WIRE_H_
