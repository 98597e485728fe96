// File: libs/config/config.h
//
// notifyd's configuration file (YAML, Alertmanager's layout). This is its first slice: the
// `global` section with resolve_timeout. Unknown keys are rejected with the file, line and key,
// so a typo never silently falls back to a default.
//
//   global:
//     resolve_timeout: 5m           # endsAt for alerts posted without one
//     webhook_resolve_timeout: 24h  # the same for firing alerts from Alertmanager's webhook

#ifndef WECOM_NOTIFY_LIBS_CONFIG_CONFIG_H_
#define WECOM_NOTIFY_LIBS_CONFIG_CONFIG_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace wecom_notify::config {

struct GlobalConfig {
  absl::Duration resolve_timeout = absl::Minutes(5);
  absl::Duration webhook_resolve_timeout = absl::Hours(24);
};

struct Config {
  GlobalConfig global;
};

// Parses YAML text. `source_name` names the file in error messages. Errors: InvalidArgument as
// "<source>:<line>: <key>: <problem>".
absl::StatusOr<Config> ParseConfig(absl::string_view yaml, absl::string_view source_name);

// Reads and parses `path`. Errors: NotFound / PermissionDenied when it cannot be read, else as
// ParseConfig.
absl::StatusOr<Config> LoadConfigFile(const std::string& path);

}  // namespace wecom_notify::config

#endif  // WECOM_NOTIFY_LIBS_CONFIG_CONFIG_H_
