// File: libs/config/config.h
//
// notifyd's configuration file: YAML in Alertmanager's layout, so a route tree and a
// `wechat_configs` receiver can be pasted from an existing alertmanager.yml.
//
//   global:
//     resolve_timeout: 5m              # endsAt for alerts posted without one
//     webhook_resolve_timeout: 24h     # the same for firing alerts of an Alertmanager webhook
//     wecom_api_url: https://qyapi.weixin.qq.com/cgi-bin/
//     http_proxy: ""                   # egress proxy for WeCom (trusted-IP setups)
//     time_zone: Asia/Shanghai         # times in messages
//     language: zh-CN                  # zh-CN | en
//   route:                             # Alertmanager's route tree
//     receiver: ops
//     group_by: [alertname, cluster]
//     group_wait: 30s
//     group_interval: 5m
//     repeat_interval: 12h
//     routes:
//       - matchers: ['severity="critical"']   # also match: / match_re: maps
//         receiver: oncall
//         continue: true
//   receivers:
//     - name: ops
//       wecom_configs:                 # WeCom app messages (Alertmanager's wechat_configs
//         - corp_id: ww0123456789       # keys are accepted too)
//           agent_id: 1000002
//           api_secret_file: /etc/wecom-notify/secret
//           to_user: [zhangsan, lisi]   # or "zhangsan|lisi"
//           to_party: ["2"]
//           to_tag: ["1"]
//           message_type: markdown      # text | markdown
//           send_resolved: true
//           enabled: true
//       wecom_robot_configs:
//         - webhook_key_file: /etc/wecom-notify/robot-key
//           mentioned_list: ["@all"]
//           message_type: markdown
//
// Validation names the file, line and key; unknown keys are rejected so that a typo never falls
// back to a default silently. Secrets given by file are read at load, and again whenever they
// change (WatchedContent).

#ifndef WECOM_NOTIFY_LIBS_CONFIG_CONFIG_H_
#define WECOM_NOTIFY_LIBS_CONFIG_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/dispatch/route.h"

namespace wecom_notify::config {

struct GlobalConfig {
  absl::Duration resolve_timeout = absl::Minutes(5);
  absl::Duration webhook_resolve_timeout = absl::Hours(24);
  std::string wecom_api_url = "https://qyapi.weixin.qq.com/cgi-bin/";  // or wechat_api_url
  std::string http_proxy;                                              // or http_config.proxy_url
  // http_config.proxy_from_environment. Unlike Alertmanager (false), true by default: without a
  // proxy_url the https_proxy / no_proxy environment applies; false connects directly.
  bool proxy_from_environment = true;
  std::string time_zone = "Asia/Shanghai";
  std::string language = "zh-CN";
  // Alertmanager's global defaults of wechat_configs: an app destination without corp_id or
  // api_secret(_file) takes these, so a receiver pasted from an alertmanager.yml that relies
  // on them works unchanged.
  std::string wechat_api_corp_id;
  std::string wechat_api_secret;       // the secret itself (read from wechat_api_secret_file)
  std::string wechat_api_secret_file;  // as written in the file (empty: inline or none)
};

enum class MessageType { kText, kMarkdown };

// A WeCom app-message destination (Alertmanager's wechat_configs).
struct WeComAppConfig {
  std::string corp_id;
  int64_t agent_id = 0;
  std::string api_secret;  // the secret itself (read from api_secret_file when given)
  std::string api_secret_file;  // as written in the file (empty: the secret was inline)
  std::vector<std::string> to_user, to_party, to_tag;
  MessageType message_type = MessageType::kMarkdown;
  bool send_resolved = true;
  bool enabled = true;
  std::string api_url;    // defaults to global.wecom_api_url
  std::string proxy_url;  // defaults to global.http_proxy
  bool proxy_from_environment = true;  // http_config's; defaults to global's
  // The corp's account limit (账号上限); the app may send account_limit x 200 person-times a
  // day. 0 = unknown: not enforced.
  int64_t account_limit = 0;
};

// A WeCom group robot.
struct WeComRobotConfig {
  std::string webhook_key;  // read from webhook_key_file when given
  std::string webhook_key_file;  // as written in the file (empty: the key was inline)
  std::vector<std::string> mentioned_list, mentioned_mobile_list;
  MessageType message_type = MessageType::kMarkdown;
  bool send_resolved = true;
  bool enabled = true;
  std::string api_url;
  std::string proxy_url;
  bool proxy_from_environment = true;  // global's
};

struct ReceiverConfig {
  std::string name;
  std::vector<WeComAppConfig> wecom_configs;
  std::vector<WeComRobotConfig> robot_configs;
};

struct Config {
  GlobalConfig global;
  // Unset: notifyd stores alerts but routes them nowhere.
  std::optional<dispatch::RouteSpec> route;
  std::vector<ReceiverConfig> receivers;
};

// Parses YAML text. `source_name` names the file in errors; `base_dir` resolves relative
// *_file paths. Errors: InvalidArgument as "<source>:<line>: <key>: <problem>".
absl::StatusOr<Config> ParseConfig(absl::string_view yaml, absl::string_view source_name,
                                   const std::string& base_dir = ".");

// WithTrailingSlash()
//
// `api_url` ending in '/', as WeCom's paths (gettoken, message/send) are appended to it:
// "https://qyapi.weixin.qq.com/cgi-bin" becomes ".../cgi-bin/", as Alertmanager does it. The
// parser applies it to every api_url it reads.
std::string WithTrailingSlash(std::string api_url);

// ReadSecretFile()
//
// The secret in `file` (relative paths against `base_dir`), surrounding whitespace trimmed, as
// api_secret_file / webhook_key_file are read (common's ReadSecret). Errors: NotFound or
// PermissionDenied "cannot read \"<path>\": <reason>", InvalidArgument "\"<path>\" is empty".
absl::StatusOr<std::string> ReadSecretFile(const std::string& file, const std::string& base_dir);

// The directory relative *_file paths of the configuration file `path` are read against.
std::string ConfigDir(const std::string& path);

// Reads and parses `path`. Errors: NotFound / PermissionDenied when it cannot be read, else as
// ParseConfig. `text` (optional) receives the file's content as read, also when it does not
// parse, so a caller can tell which content a configuration came from.
absl::StatusOr<Config> LoadConfigFile(const std::string& path, std::string* text = nullptr);

// WatchedContent()
//
// What notifyd compares to notice that the configuration in `path` changed: the file's text,
// then every secret it reads from a file (api_secret_file, webhook_key_file,
// global.wechat_api_secret_file). So a rotated secret — a Kubernetes Secret mounted as a file,
// which changes while the configuration file does not — is applied like an edited
// configuration, with no restart. The content is only
// ever hashed: it holds secrets. A file that does not parse, or names a secret file that cannot
// be read, gives its text alone: the change is still acted on, and the reload says what is
// wrong. Errors: as ReadWholeFile (libs/common/file_watcher.h) when `path` itself cannot be read.
absl::StatusOr<std::string> WatchedContent(const std::string& path);
// The same for `config`, parsed from `text` (the running configuration).
std::string WatchedContent(const std::string& text, const Config& config);

}  // namespace wecom_notify::config

#endif  // WECOM_NOTIFY_LIBS_CONFIG_CONFIG_H_
