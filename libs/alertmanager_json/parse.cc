// Parsing with simdjson's DOM API: the whole body is validated (syntax, UTF-8) in one pass at
// gigabytes per second, then walked. Only when that fails is the body parsed a second time, by
// nlohmann::json, whose error names the line and column: bad input pays, good input does not.
//
// One walk serves both outputs: it hands each alert's fields to a sink — notify_wire's
// AlertEncoder for the wire (Parse*Body), AlertBuilder below for the alert model (Decode*Body) —
// so that the two cannot differ in what they accept or in the errors they name.

#include <google/protobuf/timestamp.pb.h>
#include <simdjson.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "absl/container/inlined_vector.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "libs/alert/alert_proto.h"
#include "libs/alertmanager_json/alertmanager_json.h"

namespace wecom_notify::alertmanager_json {
namespace {

using notify_wire::EncodedNotifyRequest;
using simdjson::dom::element;
using simdjson::dom::element_type;

// simdjson speaks std::string_view; Debian's Abseil has its own string_view type.
absl::string_view View(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// libs/http leaves 64 bytes past a request body of declared length (kRequestBodySpareCapacity),
// so that such a body is parsed in place.
static_assert(simdjson::SIMDJSON_PADDING <= 64);

simdjson::dom::parser& ThreadParser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

absl::string_view TypeName(element_type type) {
  switch (type) {
    case element_type::ARRAY: return "array";
    case element_type::OBJECT: return "object";
    case element_type::STRING: return "string";
    case element_type::BOOL: return "boolean";
    case element_type::NULL_VALUE: return "null";
    default: return "number";
  }
}

absl::Status TypeError(absl::string_view path, absl::string_view expected, element value) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": expected ", expected, ", got ", TypeName(value.type())));
}

// Describes why `body` is not acceptable JSON, with the position nlohmann reports.
absl::Status SyntaxError(absl::string_view body, simdjson::error_code error) {
  try {
    nlohmann::json described = nlohmann::json::parse(body.data(), body.data() + body.size());
    (void)described;
  } catch (const nlohmann::json::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON: ", e.what()));
  } catch (const std::exception&) {
  }
  return absl::InvalidArgumentError(
      absl::StrCat("invalid JSON: ", simdjson::error_message(error)));
}

// Field paths are built only for an error message: a valid alert costs no string.
using PathFn = absl::FunctionRef<std::string()>;

// Hands every pair of a JSON object of strings to `add`.
absl::Status ParseStringMap(element value, PathFn path,
                            absl::FunctionRef<void(absl::string_view, absl::string_view)> add) {
  if (value.is_null()) return absl::OkStatus();
  simdjson::dom::object object;
  if (value.get(object)) return TypeError(path(), "an object of strings", value);
  for (auto field : object) {
    std::string_view text;
    if (field.value.get(text)) {
      return TypeError(absl::StrCat(path(), ".", View(field.key)), "a string", field.value);
    }
    add(View(field.key), View(text));
  }
  return absl::OkStatus();
}

absl::Status ParseProtoMap(element value, PathFn path,
                           google::protobuf::Map<std::string, std::string>* out) {
  return ParseStringMap(value, path, [out](absl::string_view key, absl::string_view text) {
    (*out)[std::string(key)] = std::string(text);
  });
}

absl::Status ParseString(element value, PathFn path, absl::string_view* out) {
  if (value.is_null()) return absl::OkStatus();
  std::string_view text;
  if (value.get(text)) return TypeError(path(), "a string", value);
  *out = View(text);
  return absl::OkStatus();
}

absl::Status ParseString(element value, PathFn path, std::string* out) {
  absl::string_view text;
  if (auto status = ParseString(value, path, &text); !status.ok()) return status;
  out->assign(text.data(), text.size());
  return absl::OkStatus();
}

// Leaves `out` empty for null, "" and Go's zero time (Alertmanager writes it as the endsAt of
// firing alerts): all stand for "unset".
absl::Status ParseTime(element value, PathFn path, std::optional<absl::Time>* out) {
  out->reset();
  if (value.is_null()) return absl::OkStatus();
  std::string_view text;
  if (value.get(text)) return TypeError(path(), "an RFC 3339 time string", value);
  if (text.empty()) return absl::OkStatus();
  auto time = ParseRfc3339(View(text));
  if (!time.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path(), ": ", time.status().message()));
  }
  if (*time <= absl::FromCivil(absl::CivilSecond(1, 1, 1, 0, 0, 0), absl::UTCTimeZone())) {
    return absl::OkStatus();
  }
  *out = *time;
  return absl::OkStatus();
}

// A time as notifyd's decoder reads it back from the Timestamp AlertEncoder writes: whole
// nanoseconds, and a time within Go's zero second unset.
absl::Time ThroughTimestamp(absl::Time time) {
  google::protobuf::Timestamp timestamp;
  alert::TimeToProto(time, &timestamp);
  return alert::TimeFromProto(timestamp);
}

// AlertBuilder takes the calls AlertEncoder takes and builds the alert that
// notify_wire::DecodeNotifyRequest reads from the encoder's bytes. The labels are views into the
// parsed document, copied once, into the alert's label blocks, by Build().
class AlertBuilder {
 public:
  void Clear() {
    labels_.clear();
    annotations_.clear();
    starts_at_.reset();
    ends_at_.reset();
    generator_url_ = absl::string_view();
  }
  void AddLabel(absl::string_view name, absl::string_view value) {
    labels_.push_back({name, value});
  }
  void AddAnnotation(absl::string_view name, absl::string_view value) {
    annotations_.push_back({name, value});
  }
  void SetStartsAt(absl::Time time) { starts_at_ = time; }
  void ClearStartsAt() { starts_at_.reset(); }
  void SetEndsAt(absl::Time time) { ends_at_ = time; }
  void ClearEndsAt() { ends_at_.reset(); }
  void SetGeneratorUrl(absl::string_view url) { generator_url_ = url; }

  // REQUIRES: the document the views point into is still alive.
  alert::Alert Build() {
    alert::Alert out;
    out.labels = alert::LabelSet::FromViews(absl::MakeSpan(labels_));
    out.annotations = alert::LabelSet::FromViews(absl::MakeSpan(annotations_));
    if (starts_at_) out.starts_at = ThroughTimestamp(*starts_at_);
    if (ends_at_) out.ends_at = ThroughTimestamp(*ends_at_);
    // Alerts of one rule, usually posted together, share one URL block, as the decoder's do.
    if (generator_url_ != previous_url_.view()) previous_url_ = alert::SharedText(generator_url_);
    out.generator_url = previous_url_;
    return out;
  }

 private:
  absl::InlinedVector<alert::LabelView, 8> labels_;
  absl::InlinedVector<alert::LabelView, 8> annotations_;
  std::optional<absl::Time> starts_at_;
  std::optional<absl::Time> ends_at_;
  absl::string_view generator_url_;
  alert::SharedText previous_url_;
};

// The request side of the two outputs: EncodedNotifyRequest itself, and DecodedRequestBuilder.
void ReserveAlerts(EncodedNotifyRequest*, std::size_t) {}  // bytes: they grow by appends

class DecodedRequestBuilder {
 public:
  explicit DecodedRequestBuilder(notify_wire::DecodedNotifyRequest* out) : out_(out) {}
  void set_source(wecom_notify::v1::AlertSource source) { out_->source = source; }
  void AddAlert(AlertBuilder& alert) { out_->alerts.push_back(alert.Build()); }
  // Checked by the walk, then dropped: notifyd's decoder reads no webhook metadata either.
  void set_webhook(const wecom_notify::v1::WebhookMetadata&) {}

 private:
  friend void ReserveAlerts(DecodedRequestBuilder* request, std::size_t alerts) {
    request->out_->alerts.reserve(alerts);
  }
  notify_wire::DecodedNotifyRequest* out_;
};

// One alert of either format, `array_path`[`index`]. `labels_required` is the API's rule; the
// webhook always has them.
template <typename AlertSink>
absl::Status ParseAlert(element value, absl::string_view array_path, int index,
                        bool labels_required, AlertSink* out) {
  auto alert_path = [&] { return absl::StrCat(array_path, "[", index, "]"); };
  simdjson::dom::object object;
  if (value.get(object)) return TypeError(alert_path(), "an alert object", value);
  out->Clear();
  bool has_labels = false;
  for (auto field : object) {
    const absl::string_view key = View(field.key);
    auto field_path = [&] { return absl::StrCat(alert_path(), ".", key); };
    absl::Status status;
    if (key == "labels") {
      has_labels = !field.value.is_null();
      status = ParseStringMap(field.value, field_path,
                              [out](absl::string_view name, absl::string_view text) {
                                out->AddLabel(name, text);
                              });
    } else if (key == "annotations") {
      status = ParseStringMap(field.value, field_path,
                              [out](absl::string_view name, absl::string_view text) {
                                out->AddAnnotation(name, text);
                              });
    } else if (key == "startsAt" || key == "endsAt") {
      std::optional<absl::Time> time;
      status = ParseTime(field.value, field_path, &time);
      if (key == "startsAt" && time) out->SetStartsAt(*time);
      if (key == "startsAt" && !time) out->ClearStartsAt();
      if (key == "endsAt" && time) out->SetEndsAt(*time);
      if (key == "endsAt" && !time) out->ClearEndsAt();
    } else if (key == "generatorURL") {
      absl::string_view url;
      status = ParseString(field.value, field_path, &url);
      out->SetGeneratorUrl(url);
    }
    // status, fingerprint, updatedAt: output fields notifyd recomputes; others: ignored.
    if (!status.ok()) return status;
  }
  if (labels_required && !has_labels) {
    return absl::InvalidArgumentError(absl::StrCat(alert_path(), ".labels: is required"));
  }
  return absl::OkStatus();
}

template <typename Request, typename AlertSink>
absl::Status ParseAlertArray(element value, absl::string_view path, bool labels_required,
                             Request* request, AlertSink* alert) {
  simdjson::dom::array array;
  if (value.get(array)) return TypeError(path, "an array of alerts", value);
  ReserveAlerts(request, array.size());
  int index = 0;
  for (element item : array) {
    auto status = ParseAlert(item, path, index, labels_required, alert);
    if (!status.ok()) return status;
    request->AddAlert(*alert);
    ++index;
  }
  return absl::OkStatus();
}

template <typename Request, typename AlertSink>
absl::Status ParseWebhookObject(simdjson::dom::object object, Request* request, AlertSink* alert) {
  request->set_source(wecom_notify::v1::ALERT_SOURCE_WEBHOOK);
  wecom_notify::v1::WebhookMetadata meta;
  bool has_alerts = false;
  for (auto field : object) {
    const absl::string_view key = View(field.key);
    auto path = [key] { return std::string(key); };
    absl::Status status;
    if (key == "alerts") {
      has_alerts = true;
      status = ParseAlertArray(field.value, "alerts", false, request, alert);
    } else if (key == "receiver") {
      status = ParseString(field.value, path, meta.mutable_receiver());
    } else if (key == "status") {
      status = ParseString(field.value, path, meta.mutable_status());
    } else if (key == "groupLabels") {
      status = ParseProtoMap(field.value, path, meta.mutable_group_labels());
    } else if (key == "commonLabels") {
      status = ParseProtoMap(field.value, path, meta.mutable_common_labels());
    } else if (key == "commonAnnotations") {
      status = ParseProtoMap(field.value, path, meta.mutable_common_annotations());
    } else if (key == "externalURL") {
      status = ParseString(field.value, path, meta.mutable_external_url());
    } else if (key == "version") {
      status = ParseString(field.value, path, meta.mutable_version());
    } else if (key == "groupKey") {
      status = ParseString(field.value, path, meta.mutable_group_key());
    } else if (key == "truncatedAlerts") {
      uint64_t truncated = 0;
      if (!field.value.is_null() && field.value.get(truncated)) {
        status = TypeError(key, "a non-negative integer", field.value);
      }
      meta.set_truncated_alerts(truncated);
    }
    if (!status.ok()) return status;
  }
  if (!has_alerts) return absl::InvalidArgumentError("alerts: is required");
  if (meta.version().empty()) meta.set_version("4");
  if (meta.version() != "4") {
    return absl::InvalidArgumentError(absl::StrCat(
        "version: webhook payload version \"", meta.version(), "\" is not supported (only 4)"));
  }
  request->set_webhook(meta);
  return absl::OkStatus();
}

absl::StatusOr<element> ParseDocument(const std::string& body) {
  element root;
  // simdjson's std::string overload parses in place when the capacity leaves the padding.
  if (auto error = ThreadParser().parse(body).get(root); error) {
    return SyntaxError(body, error);
  }
  return root;
}

// The body of POST /api/v2/alerts (`webhook_only` false: an array of alerts or a webhook
// object) or of POST /webhook (a webhook object).
template <typename Request, typename AlertSink>
absl::Status ParseBody(const std::string& body, bool webhook_only, Request* request,
                       AlertSink* alert) {
  auto root = ParseDocument(body);
  if (!root.ok()) return root.status();
  simdjson::dom::object object;
  if (root->get(object) == simdjson::SUCCESS) return ParseWebhookObject(object, request, alert);
  if (webhook_only) return TypeError("(body)", "a webhook object", *root);
  request->set_source(wecom_notify::v1::ALERT_SOURCE_API);
  if (root->type() != element_type::ARRAY) {
    return TypeError("(body)", "an array of alerts or a webhook object", *root);
  }
  return ParseAlertArray(*root, "", true, request, alert);
}

absl::StatusOr<EncodedNotifyRequest> Encode(const std::string& body, bool webhook_only) {
  EncodedNotifyRequest request;
  // One encoder per thread: its buffers keep their capacity from request to request.
  thread_local notify_wire::AlertEncoder encoder;
  if (auto status = ParseBody(body, webhook_only, &request, &encoder); !status.ok()) return status;
  return request;
}

absl::StatusOr<notify_wire::DecodedNotifyRequest> Decode(const std::string& body,
                                                         bool webhook_only) {
  notify_wire::DecodedNotifyRequest request;
  DecodedRequestBuilder builder(&request);
  AlertBuilder alert;
  if (auto status = ParseBody(body, webhook_only, &builder, &alert); !status.ok()) return status;
  return request;
}

}  // namespace

absl::StatusOr<absl::Time> ParseRfc3339(absl::string_view text) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(text), &time, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not an RFC 3339 time (", error, ")"));
  }
  return time;
}

absl::StatusOr<EncodedNotifyRequest> ParseAlertsBody(const std::string& body) {
  return Encode(body, /*webhook_only=*/false);
}

absl::StatusOr<EncodedNotifyRequest> ParseWebhookBody(const std::string& body) {
  return Encode(body, /*webhook_only=*/true);
}

absl::StatusOr<notify_wire::DecodedNotifyRequest> DecodeAlertsBody(const std::string& body) {
  return Decode(body, /*webhook_only=*/false);
}

absl::StatusOr<notify_wire::DecodedNotifyRequest> DecodeWebhookBody(const std::string& body) {
  return Decode(body, /*webhook_only=*/true);
}

}  // namespace wecom_notify::alertmanager_json
