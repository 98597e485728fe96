// File: libs/notify_wire/notify_decoder.h
//
// Reads a wecom_notify.v1.NotifyRequest from its wire encoding straight into the alert model,
// for notifyd's Notify handler. The generated message would first build a protobuf map entry and
// two strings per label, only for alert::FromProto to copy them again into a LabelSet; here each
// label set is built once from views into the request's bytes.
//
// For every valid encoding the result equals what parsing with the generated NotifyRequest and
// converting each alert with alert::FromProto gives (tests/notify_wire/notify_decoder_test.cc):
// unknown fields are skipped, of a repeated map key or singular field the last wins, a repeated
// Timestamp merges. Strings must be UTF-8, as protobuf requires of proto3 `string` fields. The
// output-only Alert fields (fingerprint, status, updated_at) are checked likewise, not kept.
// For every other encoding both refuse it (tests/notify_wire/notify_decoder_test.cc mutates
// valid requests to check that).
//
// Thread-safety: a free function; may be called concurrently.

#ifndef WECOM_NOTIFY_LIBS_NOTIFY_WIRE_NOTIFY_DECODER_H_
#define WECOM_NOTIFY_LIBS_NOTIFY_WIRE_NOTIFY_DECODER_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/alert/alert.h"
#include "wecom_notify/v1/notify.pb.h"

namespace wecom_notify::notify_wire {

struct DecodedNotifyRequest {
  wecom_notify::v1::AlertSource source = wecom_notify::v1::ALERT_SOURCE_UNSPECIFIED;
  // As posted: not normalized, not validated (NotifyService applies the receive rules).
  std::vector<alert::Alert> alerts;
};

// DecodeNotifyRequest()
//
// Errors: InvalidArgument naming the place ("alerts[3].labels: ...") when `bytes` are not a
// NotifyRequest encoding (truncated, a malformed record, a string not UTF-8).
absl::StatusOr<DecodedNotifyRequest> DecodeNotifyRequest(absl::string_view bytes);

// One message of the NotifyStream call (wecom_notify.v1.NotifyStreamRequest).
struct DecodedNotifyStreamRequest {
  uint64_t id = 0;
  // The request, or why it is not one (as DecodeNotifyRequest): answered under `id`.
  absl::StatusOr<DecodedNotifyRequest> request;
};

// DecodeNotifyStreamRequest()
//
// Errors: InvalidArgument when the message's own records (its id, its request's record) are
// malformed, so there is no id to answer. A missing request is an empty one, as protobuf reads
// it; several request records merge, as protobuf merges them.
absl::StatusOr<DecodedNotifyStreamRequest> DecodeNotifyStreamRequest(absl::string_view bytes);

}  // namespace wecom_notify::notify_wire

#endif  // WECOM_NOTIFY_LIBS_NOTIFY_WIRE_NOTIFY_DECODER_H_
