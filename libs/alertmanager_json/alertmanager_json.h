// File: libs/alertmanager_json/alertmanager_json.h
//
// Alertmanager's JSON wire formats, translated to and from the Notify API's protobuf messages
// (posted alerts straight into their wire encoding, libs/notify_wire/notify_wire.h, or into the
// alert model for a notifyd in the same process):
//  - API v2 postable alerts: the JSON array Prometheus and `amtool alert add` POST to
//    /api/v2/alerts (labels required; annotations, startsAt, endsAt, generatorURL optional);
//  - webhook payload version 4: the object Alertmanager's webhook receiver POSTs (receiver,
//    status, alerts, groupLabels, commonLabels, commonAnnotations, externalURL, version,
//    groupKey, truncatedAlerts); unknown fields are ignored, as a newer Alertmanager adds some;
//  - API v2 gettable alerts: the array GET /api/v2/alerts answers (what `amtool alert query`
//    reads).
//
// Parsing checks structure and types only (JSON syntax, UTF-8, field types, timestamps); the
// alert rules (label names, start before end) are notifyd's, applied to every source alike.
// Errors name the place: "invalid JSON at line 1, column 17: ..." or
// "[2].labels.severity: expected a string, got number".
//
// Thread-safety: every function may be called concurrently (the parser is per thread).

#ifndef WECOM_NOTIFY_LIBS_ALERTMANAGER_JSON_ALERTMANAGER_JSON_H_
#define WECOM_NOTIFY_LIBS_ALERTMANAGER_JSON_ALERTMANAGER_JSON_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/notify_wire/notify_decoder.h"
#include "libs/notify_wire/notify_wire.h"
#include "wecom_notify/v1/notify.pb.h"

namespace wecom_notify::alertmanager_json {

// ParseAlertsBody()
//
// Parses the body of POST /api/v2/alerts: a JSON array of postable alerts (source API) or, so
// that an Alertmanager webhook can point at the same URL, a webhook object (source WEBHOOK).
// Errors: InvalidArgument naming the position or field.
//
// A body whose capacity leaves SIMDJSON_PADDING (64) bytes past its end — libs/http's requests
// of declared length do — is parsed where it lies; any other body is copied first.
absl::StatusOr<notify_wire::EncodedNotifyRequest> ParseAlertsBody(const std::string& body);

// ParseWebhookBody()
//
// Parses the body of POST /webhook: a webhook object of payload version 4 (a missing version is
// read as 4). Errors: InvalidArgument naming the position or field; a JSON array or another
// version is refused. Parsed in place as ParseAlertsBody.
absl::StatusOr<notify_wire::EncodedNotifyRequest> ParseWebhookBody(const std::string& body);

// DecodeAlertsBody(), DecodeWebhookBody()
//
// As ParseAlertsBody and ParseWebhookBody, but into the alerts notifyd's Notify handler takes:
// for every body, the result (or error) is what notify_wire::DecodeNotifyRequest makes of the
// Parse function's encoding. For the HTTP API served inside notifyd, which would otherwise
// encode each alert only to decode it again (and check its strings' UTF-8 a second time).
absl::StatusOr<notify_wire::DecodedNotifyRequest> DecodeAlertsBody(const std::string& body);
absl::StatusOr<notify_wire::DecodedNotifyRequest> DecodeWebhookBody(const std::string& body);

// GettableAlertsJson()
//
// Renders alerts as Alertmanager's GET /api/v2/alerts answer: fields in its order, times in UTC
// with millisecond precision, `status.state` "active", empty silencedBy/inhibitedBy lists, and
// `receivers` taken from `receiver_names` (Alertmanager requires the field).
std::string GettableAlertsJson(const wecom_notify::v1::ListAlertsResponse& alerts,
                               const std::vector<std::string>& receiver_names);

// RFC 3339 with nanoseconds, as Alertmanager writes and Go's time.Time parses.
absl::StatusOr<absl::Time> ParseRfc3339(absl::string_view text);

}  // namespace wecom_notify::alertmanager_json

#endif  // WECOM_NOTIFY_LIBS_ALERTMANAGER_JSON_ALERTMANAGER_JSON_H_
