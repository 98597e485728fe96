#include "libs/wecom_sim/config.h"

#include <set>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "libs/common/status_macros.h"
#include "yaml-cpp/yaml.h"

namespace wecom_notify::wecom_sim {
namespace {

absl::Status Error(const std::string& key, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("wecom-sim config: ", key, ": ", what));
}

template <typename T>
absl::Status Read(const YAML::Node& node, const std::string& key, T* out) {
  try {
    *out = node.as<T>();
    return absl::OkStatus();
  } catch (const YAML::Exception&) {
    return Error(key, "wrong type");
  }
}

// A duration: "90s", "2h", "500ms", or a number of seconds.
absl::Status ReadDuration(const YAML::Node& node, const std::string& key, absl::Duration* out) {
  std::string text;
  RETURN_IF_ERROR(Read(node, key, &text));
  double seconds = 0;
  if (absl::ParseDuration(text, out)) return absl::OkStatus();
  try {
    seconds = node.as<double>();
  } catch (const YAML::Exception&) {
    return Error(key, "want a duration such as \"7200s\" or a number of seconds");
  }
  *out = absl::Seconds(seconds);
  return absl::OkStatus();
}

absl::Status CheckKeys(const YAML::Node& node, const std::string& where,
                       const std::set<std::string>& allowed) {
  if (!node.IsMap()) return Error(where, "want a mapping");
  for (const auto& item : node) {
    const std::string key = item.first.as<std::string>();
    if (!allowed.count(key)) return Error(absl::StrCat(where, ".", key), "unknown key");
  }
  return absl::OkStatus();
}

template <typename T, typename F>
absl::Status ReadList(const YAML::Node& node, const std::string& key, std::vector<T>* out,
                      F read_one) {
  if (!node.IsSequence()) return Error(key, "want a list");
  out->clear();
  for (size_t i = 0; i < node.size(); ++i) {
    T item;
    RETURN_IF_ERROR(read_one(node[i], absl::StrCat(key, "[", i, "]"), &item));
    out->push_back(std::move(item));
  }
  return absl::OkStatus();
}

template <typename T>
absl::Status ReadScalars(const YAML::Node& node, const std::string& key, std::vector<T>* out) {
  return ReadList(node, key, out,
                  [](const YAML::Node& n, const std::string& k, T* v) { return Read(n, k, v); });
}

absl::Status ReadApp(const YAML::Node& n, const std::string& where, App* app) {
  RETURN_IF_ERROR(CheckKeys(
      n, where, {"agent_id", "secret", "enabled", "visible_users", "visible_departments"}));
  for (const auto& item : n) {
    const std::string key = item.first.as<std::string>();
    const std::string path = absl::StrCat(where, ".", key);
    if (key == "agent_id") RETURN_IF_ERROR(Read(item.second, path, &app->agent_id));
    if (key == "secret") RETURN_IF_ERROR(Read(item.second, path, &app->secret));
    if (key == "enabled") RETURN_IF_ERROR(Read(item.second, path, &app->enabled));
    if (key == "visible_users")
      RETURN_IF_ERROR(ReadScalars(item.second, path, &app->visible_users));
    if (key == "visible_departments") {
      RETURN_IF_ERROR(ReadScalars(item.second, path, &app->visible_departments));
    }
  }
  return absl::OkStatus();
}

absl::Status ReadUser(const YAML::Node& n, const std::string& where, User* user) {
  RETURN_IF_ERROR(CheckKeys(n, where, {"userid", "departments", "licensed"}));
  for (const auto& item : n) {
    const std::string key = item.first.as<std::string>();
    const std::string path = absl::StrCat(where, ".", key);
    if (key == "userid") RETURN_IF_ERROR(Read(item.second, path, &user->userid));
    if (key == "departments") RETURN_IF_ERROR(ReadScalars(item.second, path, &user->departments));
    if (key == "licensed") RETURN_IF_ERROR(Read(item.second, path, &user->licensed));
  }
  return absl::OkStatus();
}

absl::Status ReadDepartment(const YAML::Node& n, const std::string& where, Department* d) {
  RETURN_IF_ERROR(CheckKeys(n, where, {"id", "name", "parent_id"}));
  for (const auto& item : n) {
    const std::string key = item.first.as<std::string>();
    const std::string path = absl::StrCat(where, ".", key);
    if (key == "id") RETURN_IF_ERROR(Read(item.second, path, &d->id));
    if (key == "name") RETURN_IF_ERROR(Read(item.second, path, &d->name));
    if (key == "parent_id") RETURN_IF_ERROR(Read(item.second, path, &d->parent_id));
  }
  return absl::OkStatus();
}

absl::Status ReadTag(const YAML::Node& n, const std::string& where, Tag* tag) {
  RETURN_IF_ERROR(CheckKeys(n, where, {"id", "name", "users", "departments"}));
  for (const auto& item : n) {
    const std::string key = item.first.as<std::string>();
    const std::string path = absl::StrCat(where, ".", key);
    if (key == "id") RETURN_IF_ERROR(Read(item.second, path, &tag->id));
    if (key == "name") RETURN_IF_ERROR(Read(item.second, path, &tag->name));
    if (key == "users") RETURN_IF_ERROR(ReadScalars(item.second, path, &tag->users));
    if (key == "departments") RETURN_IF_ERROR(ReadScalars(item.second, path, &tag->departments));
  }
  return absl::OkStatus();
}

absl::Status ReadRobot(const YAML::Node& n, const std::string& where, Robot* robot) {
  RETURN_IF_ERROR(CheckKeys(n, where, {"key", "enabled"}));
  for (const auto& item : n) {
    const std::string key = item.first.as<std::string>();
    const std::string path = absl::StrCat(where, ".", key);
    if (key == "key") RETURN_IF_ERROR(Read(item.second, path, &robot->key));
    if (key == "enabled") RETURN_IF_ERROR(Read(item.second, path, &robot->enabled));
  }
  return absl::OkStatus();
}

// Reads one of two spellings into an enum.
template <typename E>
absl::Status ReadEnum(const YAML::Node& node, const std::string& key, const char* a, E va,
                      const char* b, E vb, E* out) {
  std::string text;
  RETURN_IF_ERROR(Read(node, key, &text));
  if (text == a) {
    *out = va;
  } else if (text == b) {
    *out = vb;
  } else {
    return Error(key, absl::StrCat("want ", a, " or ", b));
  }
  return absl::OkStatus();
}

absl::Status ApplyNode(const YAML::Node& root, Config* c) {
  if (root.IsNull()) return absl::OkStatus();  // an empty document changes nothing
  RETURN_IF_ERROR(CheckKeys(root, "(top level)",
                            {"corp_id",
                             "apps",
                             "users",
                             "departments",
                             "tags",
                             "robots",
                             "token_lifetime",
                             "token_reuse",
                             "expires_in",
                             "bad_secret_ban_threshold",
                             "bad_secret_ban",
                             "app_text_max_bytes",
                             "app_markdown_max_bytes",
                             "app_markdown_over_limit",
                             "utf8_safe_truncation",
                             "robot_text_max_bytes",
                             "robot_markdown_max_bytes",
                             "rate_limits",
                             "member_per_minute",
                             "member_per_hour",
                             "member_excess",
                             "account_limit",
                             "robot_per_minute",
                             "robot_max_in_flight",
                             "app_max_in_flight",
                             "duplicate_check_default",
                             "duplicate_check_max",
                             "lenient_json"}));
  for (const auto& item : root) {
    const std::string key = item.first.as<std::string>();
    const YAML::Node& v = item.second;
    if (key == "corp_id") RETURN_IF_ERROR(Read(v, key, &c->corp_id));
    if (key == "apps") RETURN_IF_ERROR(ReadList(v, key, &c->apps, ReadApp));
    if (key == "users") RETURN_IF_ERROR(ReadList(v, key, &c->users, ReadUser));
    if (key == "departments") RETURN_IF_ERROR(ReadList(v, key, &c->departments, ReadDepartment));
    if (key == "tags") RETURN_IF_ERROR(ReadList(v, key, &c->tags, ReadTag));
    if (key == "robots") RETURN_IF_ERROR(ReadList(v, key, &c->robots, ReadRobot));
    if (key == "token_lifetime") RETURN_IF_ERROR(ReadDuration(v, key, &c->token_lifetime));
    if (key == "token_reuse") {
      RETURN_IF_ERROR(ReadEnum(v, key, "same_until_expiry", TokenReuse::kSameUntilExpiry,
                               "new_each_call", TokenReuse::kNewEachCall, &c->token_reuse));
    }
    if (key == "expires_in") {
      RETURN_IF_ERROR(ReadEnum(v, key, "constant", ExpiresIn::kConstant, "remaining",
                               ExpiresIn::kRemaining, &c->expires_in));
    }
    if (key == "bad_secret_ban_threshold") {
      RETURN_IF_ERROR(Read(v, key, &c->bad_secret_ban_threshold));
    }
    if (key == "bad_secret_ban") RETURN_IF_ERROR(ReadDuration(v, key, &c->bad_secret_ban));
    if (key == "app_text_max_bytes") RETURN_IF_ERROR(Read(v, key, &c->app_text_max_bytes));
    if (key == "app_markdown_max_bytes") RETURN_IF_ERROR(Read(v, key, &c->app_markdown_max_bytes));
    if (key == "app_markdown_over_limit") {
      RETURN_IF_ERROR(ReadEnum(v, key, "reject", OverLimit::kReject, "truncate",
                               OverLimit::kTruncate, &c->app_markdown_over_limit));
    }
    if (key == "utf8_safe_truncation") RETURN_IF_ERROR(Read(v, key, &c->utf8_safe_truncation));
    if (key == "robot_text_max_bytes") RETURN_IF_ERROR(Read(v, key, &c->robot_text_max_bytes));
    if (key == "robot_markdown_max_bytes") {
      RETURN_IF_ERROR(Read(v, key, &c->robot_markdown_max_bytes));
    }
    if (key == "rate_limits") RETURN_IF_ERROR(Read(v, key, &c->rate_limits));
    if (key == "member_per_minute") RETURN_IF_ERROR(Read(v, key, &c->member_per_minute));
    if (key == "member_per_hour") RETURN_IF_ERROR(Read(v, key, &c->member_per_hour));
    if (key == "member_excess") {
      RETURN_IF_ERROR(ReadEnum(v, key, "drop", MemberExcess::kDrop, "error", MemberExcess::kError,
                               &c->member_excess));
    }
    if (key == "account_limit") RETURN_IF_ERROR(Read(v, key, &c->account_limit));
    if (key == "robot_per_minute") RETURN_IF_ERROR(Read(v, key, &c->robot_per_minute));
    if (key == "robot_max_in_flight") RETURN_IF_ERROR(Read(v, key, &c->robot_max_in_flight));
    if (key == "app_max_in_flight") RETURN_IF_ERROR(Read(v, key, &c->app_max_in_flight));
    if (key == "duplicate_check_default") {
      RETURN_IF_ERROR(ReadDuration(v, key, &c->duplicate_check_default));
    }
    if (key == "duplicate_check_max") {
      RETURN_IF_ERROR(ReadDuration(v, key, &c->duplicate_check_max));
    }
    if (key == "lenient_json") RETURN_IF_ERROR(Read(v, key, &c->lenient_json));
  }
  return absl::OkStatus();
}

}  // namespace

Config DefaultConfig() {
  Config c;
  c.corp_id = "ww-sim-corp";
  c.apps = {App{1000002, "sim-secret-1000002", true, {}, {}},
            App{1000003, "sim-secret-1000003", true, {}, {}}};
  c.departments = {Department{1, "总部", 0}, Department{2, "运维部", 1},
                   Department{3, "开发部", 1}};
  c.users = {User{"zhangsan", {2}, true}, User{"lisi", {2}, true}, User{"wangwu", {3}, true},
             User{"zhaoliu", {3}, false}};
  c.tags = {Tag{1, "oncall", {"zhangsan", "lisi"}, {}}, Tag{2, "dev", {}, {3}}};
  c.robots = {Robot{"sim-robot-key-1", true}, Robot{"sim-robot-key-2", true}};
  return c;
}

absl::Status ApplyConfigText(std::string_view text, Config* config) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("wecom-sim config: not YAML/JSON: ", e.what()));
  }
  try {
    return ApplyNode(root, config);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("wecom-sim config: ", e.what()));
  }
}

absl::StatusOr<Config> ParseConfig(std::string_view text) {
  Config config = DefaultConfig();
  RETURN_IF_ERROR(ApplyConfigText(text, &config));
  RETURN_IF_ERROR(Validate(config));
  return config;
}

absl::Status Validate(const Config& c) {
  if (c.corp_id.empty()) return Error("corp_id", "must not be empty");
  std::set<int64_t> agents;
  std::set<std::string> secrets;
  for (const App& a : c.apps) {
    if (a.agent_id <= 0) return Error("apps", "agent_id must be positive");
    if (!agents.insert(a.agent_id).second) {
      return Error("apps", absl::StrCat("duplicate agent_id ", a.agent_id));
    }
    if (a.secret.empty() || !secrets.insert(a.secret).second) {
      return Error("apps", absl::StrCat("agent ", a.agent_id, ": secret empty or shared"));
    }
  }
  std::set<std::string> users;
  for (const User& u : c.users) {
    std::string lower = u.userid;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (u.userid.empty() || !users.insert(lower).second) {
      return Error("users", absl::StrCat("userid empty or duplicate: ", u.userid));
    }
  }
  std::set<int64_t> departments;
  for (const Department& d : c.departments) {
    if (d.id <= 0 || !departments.insert(d.id).second) {
      return Error("departments", absl::StrCat("id not positive or duplicate: ", d.id));
    }
  }
  std::set<int64_t> tags;
  for (const Tag& t : c.tags) {
    if (t.id <= 0 || !tags.insert(t.id).second) {
      return Error("tags", absl::StrCat("id not positive or duplicate: ", t.id));
    }
  }
  std::set<std::string> robots;
  for (const Robot& r : c.robots) {
    if (r.key.empty() || !robots.insert(r.key).second) {
      return Error("robots", absl::StrCat("key empty or duplicate: ", r.key));
    }
  }
  if (c.token_lifetime <= absl::ZeroDuration()) return Error("token_lifetime", "must be > 0");
  if (c.member_per_minute < 0 || c.member_per_hour < 0 || c.robot_per_minute < 0 ||
      c.account_limit < 0 || c.robot_max_in_flight < 0 || c.app_max_in_flight < 0) {
    return Error("limits", "must not be negative");
  }
  return absl::OkStatus();
}

}  // namespace wecom_notify::wecom_sim
