#include "libs/config/config.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "libs/config/duration.h"

namespace wecom_notify::config {
namespace {

absl::Status ErrorAt(absl::string_view source, const YAML::Node& node, absl::string_view key,
                     absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat(source, ":", node.Mark().line + 1, ": ", key, ": ", problem));
}

absl::Status ParseDurationKey(absl::string_view source, const YAML::Node& node,
                              absl::string_view key, absl::Duration* out) {
  if (!node.IsScalar()) return ErrorAt(source, node, key, "expected a duration such as 5m");
  auto d = ParseDuration(node.Scalar());
  if (!d.ok()) return ErrorAt(source, node, key, d.status().message());
  if (*d <= absl::ZeroDuration()) return ErrorAt(source, node, key, "must be greater than 0");
  *out = *d;
  return absl::OkStatus();
}

absl::Status ParseGlobal(absl::string_view source, const YAML::Node& node, GlobalConfig* global) {
  if (!node.IsMap()) return ErrorAt(source, node, "global", "expected a mapping");
  for (const auto& entry : node) {
    const std::string key = entry.first.Scalar();
    absl::Status status;
    if (key == "resolve_timeout") {
      status = ParseDurationKey(source, entry.second, "global.resolve_timeout",
                                &global->resolve_timeout);
    } else if (key == "webhook_resolve_timeout") {
      status = ParseDurationKey(source, entry.second, "global.webhook_resolve_timeout",
                                &global->webhook_resolve_timeout);
    } else {
      status = ErrorAt(source, entry.first, absl::StrCat("global.", key), "unknown key");
    }
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Config> ParseConfig(absl::string_view yaml, absl::string_view source_name) {
  Config config;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(source_name, ":", e.mark.line + 1, ": invalid YAML: ", e.msg));
  }
  if (root.IsNull()) return config;  // an empty file means every default
  if (!root.IsMap()) return ErrorAt(source_name, root, "(top level)", "expected a mapping");
  for (const auto& entry : root) {
    const std::string key = entry.first.Scalar();
    if (key == "global") {
      if (auto status = ParseGlobal(source_name, entry.second, &config.global); !status.ok()) {
        return status;
      }
    } else {
      return ErrorAt(source_name, entry.first, key, "unknown key");
    }
  }
  return config;
}

absl::StatusOr<Config> LoadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    const int err = errno;
    std::string message = absl::StrCat("config.file: cannot read \"", path, "\": ", std::strerror(err));
    return err == EACCES ? absl::PermissionDeniedError(message) : absl::NotFoundError(message);
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseConfig(text.str(), path);
}

}  // namespace wecom_notify::config
