// File: libs/config/duration.h
//
// Prometheus' duration format, as Alertmanager's configuration and flags use it: one or more
// `<integer><unit>` terms in descending unit order, units y (365d), w, d, h, m, s, ms —
// "5m", "1h30m", "12h", "500ms". "0" alone is zero.

#ifndef WECOM_NOTIFY_LIBS_CONFIG_DURATION_H_
#define WECOM_NOTIFY_LIBS_CONFIG_DURATION_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace wecom_notify::config {

// Errors: InvalidArgument quoting `text` when it is not a duration in that format.
absl::StatusOr<absl::Duration> ParseDuration(absl::string_view text);

// The value of the duration flag --`flag`: as ParseDuration, and InvalidArgument when zero unless
// `zero_allowed` (for flags where 0 turns something off). Errors name the flag: "--<flag>: …".
absl::StatusOr<absl::Duration> ParseDurationFlag(absl::string_view flag, absl::string_view text,
                                                 bool zero_allowed);

// The shortest text ParseDuration reads back to `d` ("1h30m", "0s"). REQUIRES: d >= 0, whole ms.
std::string DurationToString(absl::Duration d);

}  // namespace wecom_notify::config

#endif  // WECOM_NOTIFY_LIBS_CONFIG_DURATION_H_
