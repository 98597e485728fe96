#include "libs/config/config.h"

#include <yaml-cpp/yaml.h>

#include <functional>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/common/file_watcher.h"
#include "libs/config/duration.h"

namespace wecom_notify::config {
namespace {

// Parsing context: where errors point, where secret files are found, and the global section
// (parsed first, wherever it stands in the file, as receivers take defaults from it).
struct Context {
  std::string source;
  std::string base_dir;
  const GlobalConfig* global = nullptr;

  absl::Status Error(const YAML::Node& node, absl::string_view key, absl::string_view problem) const {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ":", node.Mark().line + 1, ": ", key, ": ", problem));
  }
};

using FieldParser = std::function<absl::Status(const YAML::Node& value, const std::string& path)>;

// Walks a mapping, dispatching each key to its parser; unknown keys are errors.
absl::Status ParseMapping(const Context& ctx, const YAML::Node& node, const std::string& path,
                          const std::vector<std::pair<std::string, FieldParser>>& fields) {
  if (!node.IsMap()) return ctx.Error(node, path.empty() ? "(top level)" : path, "expected a mapping");
  for (const auto& entry : node) {
    const std::string key = entry.first.Scalar();
    const std::string key_path = path.empty() ? key : absl::StrCat(path, ".", key);
    auto field = std::find_if(fields.begin(), fields.end(),
                              [&](const auto& f) { return f.first == key; });
    if (field == fields.end()) return ctx.Error(entry.first, key_path, "unknown key");
    if (auto status = field->second(entry.second, key_path); !status.ok()) return status;
  }
  return absl::OkStatus();
}

FieldParser String(const Context& ctx, std::string* out) {
  return [&ctx, out](const YAML::Node& v, const std::string& path) {
    if (!v.IsScalar()) return ctx.Error(v, path, "expected a string");
    *out = v.Scalar();
    return absl::OkStatus();
  };
}

FieldParser Bool(const Context& ctx, bool* out) {
  return [&ctx, out](const YAML::Node& v, const std::string& path) {
    if (!v.IsScalar() || (v.Scalar() != "true" && v.Scalar() != "false")) {
      return ctx.Error(v, path, "expected true or false");
    }
    *out = v.Scalar() == "true";
    return absl::OkStatus();
  };
}

FieldParser NonNegativeInt(const Context& ctx, int64_t* out) {
  return [&ctx, out](const YAML::Node& v, const std::string& path) {
    if (!v.IsScalar() || !absl::SimpleAtoi(v.Scalar(), out) || *out < 0) {
      return ctx.Error(v, path, "expected a whole number >= 0");
    }
    return absl::OkStatus();
  };
}

FieldParser Duration(const Context& ctx, absl::Duration* out, bool allow_zero) {
  return [&ctx, out, allow_zero](const YAML::Node& v, const std::string& path) {
    if (!v.IsScalar()) return ctx.Error(v, path, "expected a duration such as 5m");
    auto d = ParseDuration(v.Scalar());
    if (!d.ok()) return ctx.Error(v, path, d.status().message());
    if (!allow_zero && *d <= absl::ZeroDuration()) return ctx.Error(v, path, "must be greater than 0");
    *out = *d;
    return absl::OkStatus();
  };
}

FieldParser OptionalDuration(const Context& ctx, std::optional<absl::Duration>* out,
                             bool allow_zero) {
  return [&ctx, out, allow_zero](const YAML::Node& v, const std::string& path) {
    absl::Duration d;
    if (auto s = Duration(ctx, &d, allow_zero)(v, path); !s.ok()) return s;
    *out = d;
    return absl::OkStatus();
  };
}

// A list of strings; also a single "a|b" string, as Alertmanager's wechat_configs writes
// to_user / to_party / to_tag.
FieldParser IdList(const Context& ctx, std::vector<std::string>* out) {
  return [&ctx, out](const YAML::Node& v, const std::string& path) {
    out->clear();
    if (v.IsScalar()) {
      for (absl::string_view part : absl::StrSplit(v.Scalar(), '|', absl::SkipWhitespace())) {
        out->emplace_back(absl::StripAsciiWhitespace(part));
      }
      return absl::OkStatus();
    }
    if (!v.IsSequence()) return ctx.Error(v, path, "expected a list of IDs or \"a|b\"");
    for (const auto& item : v) {
      if (!item.IsScalar() || item.Scalar().empty()) {
        return ctx.Error(item, path, "expected non-empty ID strings");
      }
      out->push_back(item.Scalar());
    }
    return absl::OkStatus();
  };
}

FieldParser Type(const Context& ctx, MessageType* out) {
  return [&ctx, out](const YAML::Node& v, const std::string& path) {
    if (v.IsScalar() && v.Scalar() == "text") *out = MessageType::kText;
    else if (v.IsScalar() && v.Scalar() == "markdown") *out = MessageType::kMarkdown;
    else return ctx.Error(v, path, "expected text or markdown");
    return absl::OkStatus();
  };
}

// Reads a secret from a file (relative paths against the config's directory) into `secret`,
// and the path as written into `file`.
FieldParser SecretFile(const Context& ctx, std::string* secret, std::string* file) {
  return [&ctx, secret, file](const YAML::Node& v, const std::string& path) {
    if (!v.IsScalar()) return ctx.Error(v, path, "expected a file path");
    auto read = ReadSecretFile(v.Scalar(), ctx.base_dir);
    if (!read.ok()) return ctx.Error(v, path, read.status().message());
    *secret = *std::move(read);
    *file = v.Scalar();
    return absl::OkStatus();
  };
}

// A key that names the same setting as another (Alertmanager's name and ours): either may be
// given, not both with different values.
FieldParser Alias(const Context& ctx, std::string* out, std::string* seen, const char* other) {
  return [&ctx, out, seen, other](const YAML::Node& v, const std::string& path) {
    if (!v.IsScalar()) return ctx.Error(v, path, "expected a string");
    if (!seen->empty() && *seen != v.Scalar()) {
      return ctx.Error(v, path, absl::StrCat("conflicts with ", other, "; set one"));
    }
    *seen = v.Scalar();
    *out = v.Scalar();
    return absl::OkStatus();
  };
}

// Alertmanager's http_config (prometheus/common HTTPClientConfig). Toward WeCom's API only the
// proxy has a meaning; settings without one here are refused, naming what to use instead,
// rather than ignored — an ignored CA or proxy would only show as failed sends.
// `proxy_key` names the key proxy_url would conflict with (http_proxy or proxy_url).
FieldParser HttpConfig(const Context& ctx, std::string* proxy_url, std::string* proxy_seen,
                       const char* proxy_key, bool* proxy_from_environment) {
  return [&ctx, proxy_url, proxy_seen, proxy_key, proxy_from_environment](const YAML::Node& v,
                                                                          const std::string& path) {
    auto accepted = [](const YAML::Node&, const std::string&) { return absl::OkStatus(); };
    auto refused = [&ctx](const char* reason) {
      return [&ctx, reason](const YAML::Node& n, const std::string& p) {
        return ctx.Error(n, p, reason);
      };
    };
    const char* no_http_auth =
        "not supported: WeCom's API authenticates with the app secret or the robot key, not "
        "with HTTP auth; remove it";
    absl::Status parsed = ParseMapping(
        ctx, v, path,
        {{"proxy_url", Alias(ctx, proxy_url, proxy_seen, proxy_key)},
         {"proxy_from_environment", Bool(ctx, proxy_from_environment)},
         {"follow_redirects", accepted},
         {"enable_http2", accepted},
         {"tls_config", refused("not supported; trust a CA with notifyd's --wecom.ca-file")},
         {"basic_auth", refused(no_http_auth)},
         {"authorization", refused(no_http_auth)},
         {"bearer_token", refused(no_http_auth)},
         {"bearer_token_file", refused(no_http_auth)},
         {"oauth2", refused(no_http_auth)},
         {"proxy_connect_header",
          refused("not supported; give the proxy's credentials in proxy_url "
                  "(http://user:password@host:port)")},
         {"no_proxy",
          refused("not supported: notifyd sends only to the WeCom API URL; to reach it "
                  "directly leave proxy_url empty (and set proxy_from_environment: false)")},
         {"http_headers", refused("not supported: WeCom's API needs no extra headers")}});
    if (!parsed.ok()) return parsed;
    // As Alertmanager: both in one http_config is refused, not resolved by a precedence.
    if (v["proxy_url"] && v["proxy_from_environment"] && *proxy_from_environment &&
        !proxy_url->empty()) {
      return ctx.Error(v["proxy_from_environment"], path + ".proxy_from_environment",
                       "conflicts with proxy_url; set one (proxy_from_environment: true takes "
                       "the proxy from notifyd's https_proxy environment variable)");
    }
    return absl::OkStatus();
  };
}

absl::Status ParseGlobal(const Context& ctx, const YAML::Node& node, GlobalConfig* g) {
  std::string api_url_seen, proxy_seen;
  if (node.IsMap() && node["wechat_api_secret"] && node["wechat_api_secret_file"]) {
    return ctx.Error(node["wechat_api_secret_file"], "global.wechat_api_secret_file",
                     "conflicts with wechat_api_secret; set one");
  }
  return ParseMapping(
      ctx, node, "global",
      {{"resolve_timeout", Duration(ctx, &g->resolve_timeout, false)},
       {"webhook_resolve_timeout", Duration(ctx, &g->webhook_resolve_timeout, false)},
       {"wecom_api_url", Alias(ctx, &g->wecom_api_url, &api_url_seen, "wechat_api_url")},
       {"wechat_api_url", Alias(ctx, &g->wecom_api_url, &api_url_seen, "wecom_api_url")},
       {"http_proxy", Alias(ctx, &g->http_proxy, &proxy_seen, "http_config.proxy_url")},
       {"http_config",
        HttpConfig(ctx, &g->http_proxy, &proxy_seen, "http_proxy", &g->proxy_from_environment)},
       {"wechat_api_corp_id", String(ctx, &g->wechat_api_corp_id)},
       {"wechat_api_secret", String(ctx, &g->wechat_api_secret)},
       {"wechat_api_secret_file",
        SecretFile(ctx, &g->wechat_api_secret, &g->wechat_api_secret_file)},
       {"time_zone", String(ctx, &g->time_zone)},
       {"language", String(ctx, &g->language)}});
}

absl::Status ParseMatchers(const Context& ctx, const YAML::Node& v, const std::string& path,
                           std::vector<alert::Matcher>* out) {
  if (!v.IsSequence()) return ctx.Error(v, path, "expected a list of matchers such as 'a=\"b\"'");
  for (const auto& item : v) {
    if (!item.IsScalar()) return ctx.Error(item, path, "expected a matcher string");
    auto m = alert::Matcher::Parse(item.Scalar());
    if (!m.ok()) return ctx.Error(item, path, m.status().message());
    out->push_back(*std::move(m));
  }
  return absl::OkStatus();
}

// Alertmanager's legacy `match` / `match_re` maps.
absl::Status ParseMatchMap(const Context& ctx, const YAML::Node& v, const std::string& path,
                           alert::Matcher::Type type, std::vector<alert::Matcher>* out) {
  if (!v.IsMap()) return ctx.Error(v, path, "expected a mapping of label to value");
  for (const auto& entry : v) {
    auto m = alert::Matcher::Create(entry.first.Scalar(), type, entry.second.Scalar());
    if (!m.ok()) return ctx.Error(entry.first, path, m.status().message());
    out->push_back(*std::move(m));
  }
  return absl::OkStatus();
}

absl::Status ParseRoute(const Context& ctx, const YAML::Node& node, const std::string& path,
                        dispatch::RouteSpec* route) {
  return ParseMapping(
      ctx, node, path,
      {{"receiver",
        [&](const YAML::Node& v, const std::string& p) {
          std::string name;
          if (auto s = String(ctx, &name)(v, p); !s.ok()) return s;
          route->receiver = name;
          return absl::OkStatus();
        }},
       {"group_by",
        [&](const YAML::Node& v, const std::string& p) {
          std::vector<std::string> names;
          if (!v.IsSequence()) return ctx.Error(v, p, "expected a list of label names");
          for (const auto& item : v) names.push_back(item.Scalar());
          route->group_by = names;
          return absl::OkStatus();
        }},
       {"group_wait", OptionalDuration(ctx, &route->group_wait, true)},
       {"group_interval", OptionalDuration(ctx, &route->group_interval, false)},
       {"repeat_interval", OptionalDuration(ctx, &route->repeat_interval, false)},
       {"matchers",
        [&](const YAML::Node& v, const std::string& p) {
          return ParseMatchers(ctx, v, p, &route->matchers);
        }},
       {"match",
        [&](const YAML::Node& v, const std::string& p) {
          return ParseMatchMap(ctx, v, p, alert::Matcher::Type::kEqual, &route->matchers);
        }},
       {"match_re",
        [&](const YAML::Node& v, const std::string& p) {
          return ParseMatchMap(ctx, v, p, alert::Matcher::Type::kRegex, &route->matchers);
        }},
       {"continue", Bool(ctx, &route->continue_matching)},
       {"routes", [&](const YAML::Node& v, const std::string& p) {
          if (!v.IsSequence()) return ctx.Error(v, p, "expected a list of routes");
          int i = 0;
          for (const auto& item : v) {
            route->routes.emplace_back();
            if (auto s = ParseRoute(ctx, item, absl::StrCat(p, "[", i++, "]"), &route->routes.back());
                !s.ok()) {
              return s;
            }
          }
          return absl::OkStatus();
        }}});
}

absl::Status ParseAppConfig(const Context& ctx, const YAML::Node& node, const std::string& path,
                            WeComAppConfig* c) {
  std::string agent_id_text, proxy_seen;
  YAML::Node agent_node;
  c->proxy_from_environment = ctx.global->proxy_from_environment;  // unless http_config says
  auto status = ParseMapping(
      ctx, node, path,
      {{"corp_id", String(ctx, &c->corp_id)},
       {"agent_id",
        [&](const YAML::Node& v, const std::string& p) {
          agent_node = v;
          return String(ctx, &agent_id_text)(v, p);
        }},
       {"api_secret", String(ctx, &c->api_secret)},
       {"api_secret_file", SecretFile(ctx, &c->api_secret, &c->api_secret_file)},
       {"to_user", IdList(ctx, &c->to_user)},
       {"to_party", IdList(ctx, &c->to_party)},
       {"to_tag", IdList(ctx, &c->to_tag)},
       {"message_type", Type(ctx, &c->message_type)},
       {"send_resolved", Bool(ctx, &c->send_resolved)},
       {"enabled", Bool(ctx, &c->enabled)},
       {"api_url", String(ctx, &c->api_url)},
       {"proxy_url", Alias(ctx, &c->proxy_url, &proxy_seen, "http_config.proxy_url")},
       {"http_config",
        HttpConfig(ctx, &c->proxy_url, &proxy_seen, "proxy_url", &c->proxy_from_environment)},
       {"account_limit", NonNegativeInt(ctx, &c->account_limit)},
       // Alertmanager's message template: notifyd renders its own message (libs/render).
       {"message", [](const YAML::Node&, const std::string&) { return absl::OkStatus(); }}});
  if (!status.ok()) return status;
  if (c->corp_id.empty()) c->corp_id = ctx.global->wechat_api_corp_id;
  if (c->corp_id.empty()) {
    return ctx.Error(node, path + ".corp_id", "is required (or global.wechat_api_corp_id)");
  }
  if (c->api_secret.empty()) c->api_secret = ctx.global->wechat_api_secret;
  if (c->api_secret.empty()) {
    return ctx.Error(node, path + ".api_secret",
                     "is required (or api_secret_file, global.wechat_api_secret(_file))");
  }
  if (agent_id_text.empty() || !absl::SimpleAtoi(agent_id_text, &c->agent_id) || c->agent_id <= 0) {
    return ctx.Error(agent_node ? agent_node : node, path + ".agent_id",
                     absl::StrCat("must be the app's numeric AgentId, got \"", agent_id_text, "\""));
  }
  if (c->to_user.empty() && c->to_party.empty() && c->to_tag.empty()) {
    return ctx.Error(node, path, "needs at least one of to_user, to_party, to_tag");
  }
  return absl::OkStatus();
}

absl::Status ParseRobotConfig(const Context& ctx, const YAML::Node& node, const std::string& path,
                              WeComRobotConfig* c) {
  c->proxy_from_environment = ctx.global->proxy_from_environment;
  auto status = ParseMapping(ctx, node, path,
                             {{"webhook_key", String(ctx, &c->webhook_key)},
                              {"webhook_key_file",
                               SecretFile(ctx, &c->webhook_key, &c->webhook_key_file)},
                              {"mentioned_list", IdList(ctx, &c->mentioned_list)},
                              {"mentioned_mobile_list", IdList(ctx, &c->mentioned_mobile_list)},
                              {"message_type", Type(ctx, &c->message_type)},
                              {"send_resolved", Bool(ctx, &c->send_resolved)},
                              {"enabled", Bool(ctx, &c->enabled)},
                              {"api_url", String(ctx, &c->api_url)},
                              {"proxy_url", String(ctx, &c->proxy_url)}});
  if (!status.ok()) return status;
  if (c->webhook_key.empty()) {
    return ctx.Error(node, path + ".webhook_key", "is required (or webhook_key_file)");
  }
  return absl::OkStatus();
}

template <class T, class Parse>
FieldParser ListOf(const Context& ctx, std::vector<T>* out, Parse parse) {
  return [&ctx, out, parse](const YAML::Node& v, const std::string& path) {
    if (!v.IsSequence()) return ctx.Error(v, path, "expected a list");
    int i = 0;
    for (const auto& item : v) {
      out->emplace_back();
      if (auto s = parse(ctx, item, absl::StrCat(path, "[", i++, "]"), &out->back()); !s.ok()) {
        return s;
      }
    }
    return absl::OkStatus();
  };
}

absl::Status ParseReceiver(const Context& ctx, const YAML::Node& node, const std::string& path,
                           ReceiverConfig* r) {
  auto status = ParseMapping(ctx, node, path,
                             {{"name", String(ctx, &r->name)},
                              {"wecom_configs", ListOf(ctx, &r->wecom_configs, ParseAppConfig)},
                              {"wechat_configs", ListOf(ctx, &r->wecom_configs, ParseAppConfig)},
                              {"wecom_robot_configs", ListOf(ctx, &r->robot_configs, ParseRobotConfig)}});
  if (!status.ok()) return status;
  if (r->name.empty()) return ctx.Error(node, path + ".name", "is required");
  return absl::OkStatus();
}

void CollectReceivers(const dispatch::RouteSpec& route, std::vector<std::string>* names) {
  if (route.receiver) names->push_back(*route.receiver);
  for (const auto& child : route.routes) CollectReceivers(child, names);
}

void ApplyGlobalDefaults(Config& config) {
  config.global.wecom_api_url = WithTrailingSlash(std::move(config.global.wecom_api_url));
  for (auto& receiver : config.receivers) {
    for (auto& c : receiver.wecom_configs) {
      c.api_url = c.api_url.empty() ? config.global.wecom_api_url : WithTrailingSlash(c.api_url);
      if (c.proxy_url.empty()) c.proxy_url = config.global.http_proxy;
    }
    for (auto& c : receiver.robot_configs) {
      c.api_url = c.api_url.empty() ? config.global.wecom_api_url : WithTrailingSlash(c.api_url);
      if (c.proxy_url.empty()) c.proxy_url = config.global.http_proxy;
    }
  }
}

}  // namespace

absl::StatusOr<Config> ParseConfig(absl::string_view yaml, absl::string_view source_name,
                                   const std::string& base_dir) {
  Context ctx{std::string(source_name), base_dir, nullptr};
  Config config;
  ctx.global = &config.global;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(source_name, ":", e.mark.line + 1, ": invalid YAML: ", e.msg));
  }
  if (root.IsNull()) return config;  // an empty file means every default
  if (root.IsMap() && root["global"]) {
    if (auto status = ParseGlobal(ctx, root["global"], &config.global); !status.ok()) return status;
  }
  YAML::Node route_node;
  // Alertmanager's other sections: refused with the reason, for a whole alertmanager.yml pasted.
  auto alertmanager_only = [&ctx](const YAML::Node& v, const std::string& p) {
    return ctx.Error(v, p,
                     "not supported by notifyd: silences, inhibition, time intervals and "
                     "templates belong to the Alertmanager that sends alerts here");
  };
  auto status = ParseMapping(
      ctx, root, "",
      {{"global", [](const YAML::Node&, const std::string&) { return absl::OkStatus(); }},
       {"route",
        [&](const YAML::Node& v, const std::string& p) {
          route_node = v;
          config.route.emplace();
          return ParseRoute(ctx, v, p, &*config.route);
        }},
       {"receivers", ListOf(ctx, &config.receivers, ParseReceiver)},
       {"inhibit_rules", alertmanager_only},
       {"templates", alertmanager_only},
       {"time_intervals", alertmanager_only},
       {"mute_time_intervals", alertmanager_only}});
  if (!status.ok()) return status;

  absl::flat_hash_set<std::string> names;
  for (const auto& r : config.receivers) {
    if (!names.insert(r.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(source_name, ": receivers: duplicate name \"", r.name, "\""));
    }
  }
  if (config.route) {
    std::vector<std::string> used;
    CollectReceivers(*config.route, &used);
    for (const auto& name : used) {
      if (!names.contains(name)) {
        return ctx.Error(route_node, "route",
                         absl::StrCat("receiver \"", name, "\" is not defined in receivers"));
      }
    }
    // Validate the tree itself (inheritance, timers, group_by) at load, not at first alert.
    auto tree = dispatch::Route::BuildTree(*config.route);
    if (!tree.ok()) return ctx.Error(route_node, "route", tree.status().message());
  }
  ApplyGlobalDefaults(config);
  return config;
}

std::string WithTrailingSlash(std::string api_url) {
  if (!api_url.empty() && api_url.back() != '/') api_url.push_back('/');
  return api_url;
}

absl::StatusOr<std::string> ReadSecretFile(const std::string& file_name,
                                           const std::string& base_dir) {
  if (!file_name.empty() && file_name[0] != '/') {
    return ReadSecret(absl::StrCat(base_dir, "/", file_name));
  }
  return ReadSecret(file_name);
}

std::string ConfigDir(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
}

absl::StatusOr<Config> LoadConfigFile(const std::string& path, std::string* text_out) {
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) {
    return absl::Status(text.status().code(),
                        absl::StrCat("config.file: ", text.status().message()));
  }
  if (text_out != nullptr) *text_out = *text;
  return ParseConfig(*text, path, ConfigDir(path));
}

absl::StatusOr<std::string> WatchedContent(const std::string& path) {
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<Config> config = ParseConfig(*text, path, ConfigDir(path));
  if (!config.ok()) return *std::move(text);
  return WatchedContent(*text, *config);
}

std::string WatchedContent(const std::string& text, const Config& config) {
  // A NUL before each secret: no text of a YAML file holds one, so a secret's bytes can never
  // pass for part of the text or of a neighbouring secret.
  constexpr absl::string_view kSeparator("\0", 1);
  std::string content = text;
  if (!config.global.wechat_api_secret_file.empty()) {
    absl::StrAppend(&content, kSeparator, config.global.wechat_api_secret);
  }
  for (const ReceiverConfig& receiver : config.receivers) {
    for (const WeComAppConfig& app : receiver.wecom_configs) {
      if (!app.api_secret_file.empty()) absl::StrAppend(&content, kSeparator, app.api_secret);
    }
    for (const WeComRobotConfig& robot : receiver.robot_configs) {
      if (!robot.webhook_key_file.empty()) {
        absl::StrAppend(&content, kSeparator, robot.webhook_key);
      }
    }
  }
  return content;
}

}  // namespace wecom_notify::config
