// Parsing with simdjson's DOM API: the whole body is validated (syntax, UTF-8) in one pass at
// gigabytes per second, then walked. Only when that fails is the body parsed a second time, by
// nlohmann::json, whose error names the line and column: bad input pays, good input does not.

#include <nlohmann/json.hpp>
#include <simdjson.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "libs/alert/alert_proto.h"
#include "libs/alertmanager_json/alertmanager_json.h"

namespace wecom_notify::alertmanager_json {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using wecom_notify::v1::NotifyRequest;

// simdjson speaks std::string_view; Debian's Abseil has its own string_view type.
absl::string_view View(std::string_view s) { return absl::string_view(s.data(), s.size()); }

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

absl::Status ParseStringMap(element value, absl::string_view path,
                            google::protobuf::Map<std::string, std::string>* out) {
  if (value.is_null()) return absl::OkStatus();
  simdjson::dom::object object;
  if (value.get(object)) return TypeError(path, "an object of strings", value);
  for (auto field : object) {
    std::string_view text;
    if (field.value.get(text)) {
      return TypeError(absl::StrCat(path, ".", View(field.key)), "a string", field.value);
    }
    (*out)[std::string(field.key)] = std::string(text);
  }
  return absl::OkStatus();
}

absl::Status ParseString(element value, absl::string_view path, std::string* out) {
  if (value.is_null()) return absl::OkStatus();
  std::string_view text;
  if (value.get(text)) return TypeError(path, "a string", value);
  out->assign(text);
  return absl::OkStatus();
}

absl::Status ParseTime(element value, absl::string_view path, google::protobuf::Timestamp* out,
                       bool* present) {
  *present = false;
  if (value.is_null()) return absl::OkStatus();
  std::string_view text;
  if (value.get(text)) return TypeError(path, "an RFC 3339 time string", value);
  if (text.empty()) return absl::OkStatus();
  auto time = ParseRfc3339(View(text));
  if (!time.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", time.status().message()));
  }
  // Go's zero time stands for "unset" (Alertmanager writes it as endsAt of firing alerts).
  if (*time <= absl::FromCivil(absl::CivilSecond(1, 1, 1, 0, 0, 0), absl::UTCTimeZone())) {
    return absl::OkStatus();
  }
  alert::TimeToProto(*time, out);
  *present = true;
  return absl::OkStatus();
}

// One alert of either format. `labels_required` is the API's rule; the webhook always has them.
absl::Status ParseAlert(element value, const std::string& path, bool labels_required,
                        wecom_notify::v1::Alert* out) {
  simdjson::dom::object object;
  if (value.get(object)) return TypeError(path, "an alert object", value);
  bool has_labels = false;
  for (auto field : object) {
    const absl::string_view key = View(field.key);
    const std::string field_path = absl::StrCat(path, ".", key);
    absl::Status status;
    bool present = false;
    if (key == "labels") {
      has_labels = !field.value.is_null();
      status = ParseStringMap(field.value, field_path, out->mutable_labels());
    } else if (key == "annotations") {
      status = ParseStringMap(field.value, field_path, out->mutable_annotations());
    } else if (key == "startsAt") {
      status = ParseTime(field.value, field_path, out->mutable_starts_at(), &present);
      if (!present) out->clear_starts_at();
    } else if (key == "endsAt") {
      status = ParseTime(field.value, field_path, out->mutable_ends_at(), &present);
      if (!present) out->clear_ends_at();
    } else if (key == "generatorURL") {
      status = ParseString(field.value, field_path, out->mutable_generator_url());
    }
    // status, fingerprint, updatedAt: output fields notifyd recomputes; others: ignored.
    if (!status.ok()) return status;
  }
  if (labels_required && !has_labels) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".labels: is required"));
  }
  return absl::OkStatus();
}

absl::Status ParseAlertArray(element value, absl::string_view path, bool labels_required,
                             NotifyRequest* request) {
  simdjson::dom::array array;
  if (value.get(array)) return TypeError(path, "an array of alerts", value);
  request->mutable_alerts()->Reserve(static_cast<int>(array.size()));
  int index = 0;
  for (element item : array) {
    auto status = ParseAlert(item, absl::StrCat(path, "[", index, "]"), labels_required,
                             request->add_alerts());
    if (!status.ok()) return status;
    ++index;
  }
  return absl::OkStatus();
}

absl::Status ParseWebhookObject(simdjson::dom::object object, NotifyRequest* request) {
  request->set_source(wecom_notify::v1::ALERT_SOURCE_WEBHOOK);
  auto* meta = request->mutable_webhook();
  bool has_alerts = false;
  for (auto field : object) {
    const absl::string_view key = View(field.key);
    absl::Status status;
    if (key == "alerts") {
      has_alerts = true;
      status = ParseAlertArray(field.value, "alerts", false, request);
    } else if (key == "receiver") {
      status = ParseString(field.value, key, meta->mutable_receiver());
    } else if (key == "status") {
      status = ParseString(field.value, key, meta->mutable_status());
    } else if (key == "groupLabels") {
      status = ParseStringMap(field.value, key, meta->mutable_group_labels());
    } else if (key == "commonLabels") {
      status = ParseStringMap(field.value, key, meta->mutable_common_labels());
    } else if (key == "commonAnnotations") {
      status = ParseStringMap(field.value, key, meta->mutable_common_annotations());
    } else if (key == "externalURL") {
      status = ParseString(field.value, key, meta->mutable_external_url());
    } else if (key == "version") {
      status = ParseString(field.value, key, meta->mutable_version());
    } else if (key == "groupKey") {
      status = ParseString(field.value, key, meta->mutable_group_key());
    } else if (key == "truncatedAlerts") {
      uint64_t truncated = 0;
      if (!field.value.is_null() && field.value.get(truncated)) {
        status = TypeError(key, "a non-negative integer", field.value);
      }
      meta->set_truncated_alerts(truncated);
    }
    if (!status.ok()) return status;
  }
  if (!has_alerts) return absl::InvalidArgumentError("alerts: is required");
  if (meta->version().empty()) meta->set_version("4");
  if (meta->version() != "4") {
    return absl::InvalidArgumentError(absl::StrCat(
        "version: webhook payload version \"", meta->version(), "\" is not supported (only 4)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<element> ParseDocument(absl::string_view body) {
  element root;
  if (auto error = ThreadParser().parse(body.data(), body.size()).get(root); error) {
    return SyntaxError(body, error);
  }
  return root;
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

absl::StatusOr<NotifyRequest> ParseAlertsBody(absl::string_view body) {
  auto root = ParseDocument(body);
  if (!root.ok()) return root.status();
  NotifyRequest request;
  simdjson::dom::object object;
  if (root->get(object) == simdjson::SUCCESS) {
    if (auto status = ParseWebhookObject(object, &request); !status.ok()) return status;
    return request;
  }
  request.set_source(wecom_notify::v1::ALERT_SOURCE_API);
  if (root->type() != element_type::ARRAY) {
    return TypeError("(body)", "an array of alerts or a webhook object", *root);
  }
  if (auto status = ParseAlertArray(*root, "", true, &request); !status.ok()) return status;
  return request;
}

absl::StatusOr<NotifyRequest> ParseWebhookBody(absl::string_view body) {
  auto root = ParseDocument(body);
  if (!root.ok()) return root.status();
  simdjson::dom::object object;
  if (root->get(object)) return TypeError("(body)", "a webhook object", *root);
  NotifyRequest request;
  if (auto status = ParseWebhookObject(object, &request); !status.ok()) return status;
  return request;
}

}  // namespace wecom_notify::alertmanager_json
