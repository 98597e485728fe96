// File: libs/alert/validate.h
//
// Alertmanager's alert validation (alert/validate.go, classic label-name mode, which is what
// Alertmanager 0.25 and Prometheus' classic rules enforce), with Alertmanager's wording, so a
// client sees the same reasons from us as from Alertmanager.

#ifndef WECOM_NOTIFY_LIBS_ALERT_VALIDATE_H_
#define WECOM_NOTIFY_LIBS_ALERT_VALIDATE_H_

#include <optional>
#include <string>
#include "absl/strings/string_view.h"

#include "libs/alert/alert.h"

namespace wecom_notify::alert {

// True iff `name` matches [a-zA-Z_][a-zA-Z0-9_]*.
bool IsValidLabelName(absl::string_view name);

// True iff `text` is well-formed UTF-8.
bool IsValidUtf8(absl::string_view text);

// Every ValidationError::code, so metrics can export each series from zero.
inline constexpr const char* kValidationErrorCodes[] = {
    "missing_start",     "end_before_start",   "no_labels",
    "invalid_label",     "invalid_annotation", "invalid_generator_url"};

struct ValidationError {
  // A short stable code for metrics: missing_start, end_before_start, no_labels,
  // invalid_label, invalid_annotation, invalid_generator_url.
  std::string code;
  // The field at fault: "labels", "labels.<name>", "annotations.<name>", "starts_at", "ends_at".
  std::string field;
  // Alertmanager's message, e.g. `invalid label set: invalid name "0bad"`.
  std::string reason;
};

// ValidateAlert()
//
// Checks a normalized alert (see Normalize()). Returns the first problem found, in
// Alertmanager's order: start time, ends_at before starts_at, no labels, bad label name or
// value, bad annotation name or value; nullopt when the alert is valid.
std::optional<ValidationError> ValidateAlert(const Alert& alert);

}  // namespace wecom_notify::alert

#endif  // WECOM_NOTIFY_LIBS_ALERT_VALIDATE_H_
