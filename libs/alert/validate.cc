#include "libs/alert/validate.h"

#include <simdjson.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace wecom_notify::alert {
namespace {

std::optional<ValidationError> ValidateSet(const LabelSet& set, absl::string_view kind,
                                           absl::string_view what, absl::string_view code) {
  for (const LabelView label : set) {
    if (!IsValidLabelName(label.name)) {
      return ValidationError{std::string(code), absl::StrCat(kind, ".", label.name),
                             absl::StrCat("invalid ", what, ": invalid name \"", label.name, "\"")};
    }
    if (!IsValidUtf8(label.value)) {
      return ValidationError{std::string(code), absl::StrCat(kind, ".", label.name),
                             absl::StrCat("invalid ", what, ": invalid value for \"", label.name,
                                          "\": not valid UTF-8")};
    }
  }
  return std::nullopt;
}

}  // namespace

bool IsValidLabelName(absl::string_view name) {
  if (name.empty()) return false;
  if (!absl::ascii_isalpha(name[0]) && name[0] != '_') return false;
  for (char c : name.substr(1)) {
    if (!absl::ascii_isalnum(c) && c != '_') return false;
  }
  return true;
}

bool IsValidUtf8(absl::string_view text) { return simdjson::validate_utf8(text.data(), text.size()); }

std::optional<ValidationError> ValidateAlert(const Alert& alert) {
  if (alert.starts_at == absl::InfinitePast()) {
    return ValidationError{"missing_start", "starts_at", "start time missing"};
  }
  if (alert.ends_at != absl::InfinitePast() && alert.ends_at < alert.starts_at) {
    return ValidationError{"end_before_start", "ends_at", "start time must be before end time"};
  }
  if (alert.labels.empty()) return ValidationError{"no_labels", "labels", "at least one label pair required"};
  if (auto error = ValidateSet(alert.labels, "labels", "label set", "invalid_label")) return error;
  if (auto error = ValidateSet(alert.annotations, "annotations", "annotations", "invalid_annotation")) return error;
  if (!IsValidUtf8(alert.generator_url)) {
    return ValidationError{"invalid_generator_url", "generator_url", "generator URL is not valid UTF-8"};
  }
  return std::nullopt;
}

}  // namespace wecom_notify::alert
