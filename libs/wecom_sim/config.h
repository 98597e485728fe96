// File: libs/wecom_sim/config.h
//
// Configuration of the WeCom simulator: the corp's credentials (corp id, one secret per app),
// the directory (users, departments, tags), the group robots, and the switches that select
// between behaviours the real server is known (or suspected) to show. Defaults follow
// shared/research/wecom-api.md; DefaultConfig() is the zero-config directory the README demo uses.
//
// ParseConfig() reads YAML or JSON (yaml-cpp reads both) and rejects unknown keys, naming them.

#ifndef WECOM_NOTIFY_LIBS_WECOM_SIM_CONFIG_H_
#define WECOM_NOTIFY_LIBS_WECOM_SIM_CONFIG_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace wecom_notify::wecom_sim {

struct User {
  std::string userid;                // matched case-insensitively; reported lower-cased
  std::vector<int64_t> departments;  // ids of the departments the user belongs to
  bool licensed = true;              // false: listed in "unlicenseduser", not delivered to
};

struct Department {
  int64_t id = 0;
  std::string name;
  int64_t parent_id = 0;  // 0 = top level; toparty reaches a department and all below it
};

struct Tag {
  int64_t id = 0;
  std::string name;
  std::vector<std::string> users;
  std::vector<int64_t> departments;
};

struct App {
  int64_t agent_id = 0;
  std::string secret;
  bool enabled = true;  // false: gettoken answers 40001
  // Visible range (可见范围). Both empty: the whole corp. Otherwise a user is visible when listed
  // or inside a listed department (or below it).
  std::vector<std::string> visible_users;
  std::vector<int64_t> visible_departments;
};

struct Robot {
  std::string key;
  bool enabled = true;  // false: webhook/send answers 93004
};

enum class TokenReuse {
  kSameUntilExpiry,  // gettoken inside the lifetime returns the same token (default)
  kNewEachCall,      // every gettoken mints a new token; older ones stay valid until expiry
};

enum class ExpiresIn {
  kConstant,   // expires_in is always the full lifetime (default)
  kRemaining,  // expires_in counts down when the same token is returned again
};

enum class OverLimit {
  kReject,    // answer an error, deliver nothing
  kTruncate,  // cut the content at the byte limit and deliver
};

enum class MemberExcess {
  kDrop,   // excess recipients are dropped silently, errcode 0 (doc 90454; default)
  kError,  // the whole call answers 45009 (community answer)
};

struct Config {
  std::string corp_id;
  std::vector<App> apps;
  std::vector<User> users;
  std::vector<Department> departments;
  std::vector<Tag> tags;
  std::vector<Robot> robots;

  // Tokens.
  absl::Duration token_lifetime = absl::Seconds(7200);
  TokenReuse token_reuse = TokenReuse::kSameUntilExpiry;
  ExpiresIn expires_in = ExpiresIn::kConstant;
  // Bad secrets from one IP before that IP is banned (45009) from gettoken. 0 = never.
  int bad_secret_ban_threshold = 0;
  absl::Duration bad_secret_ban = absl::Hours(1);

  // Byte limits (UTF-8 bytes).
  std::size_t app_text_max_bytes = 2048;                   // over: truncated (doc 90236)
  std::size_t app_markdown_max_bytes = 2048;               // over: app_markdown_over_limit
  OverLimit app_markdown_over_limit = OverLimit::kReject;  // 45002 (DS evidence)
  // Cut truncated app text on a UTF-8 code point boundary. The real server's cut is UNVERIFIED;
  // false cuts raw bytes.
  bool utf8_safe_truncation = false;
  std::size_t robot_text_max_bytes = 2048;      // doc; the real server enforced 5120
  std::size_t robot_markdown_max_bytes = 4096;  // markdown and markdown_v2; over: 40058

  // Rate limits. `rate_limits` switches all of them (and the daily quota) on or off.
  bool rate_limits = true;
  int member_per_minute = 30;  // per app, per recipient
  int member_per_hour = 1000;  // per app, per recipient
  MemberExcess member_excess = MemberExcess::kDrop;
  int account_limit = 500;    // daily person-times per app = account_limit * 200; 0 = off
  int robot_per_minute = 20;  // per robot key, sliding window; over: 45009
  // Requests allowed in flight (answer not yet sent) per robot key / per app; more answer 45033.
  // 0 = unlimited. Only matters when answers are delayed (see faults).
  int robot_max_in_flight = 0;
  int app_max_in_flight = 0;

  // Duplicate check (enable_duplicate_check): default and maximum interval.
  absl::Duration duplicate_check_default = absl::Seconds(1800);
  absl::Duration duplicate_check_max = absl::Hours(4);

  // Accept bodies that are not strict JSON (trailing commas) with "ok. Warning: wrong json
  // format. ", like the real server. false: such bodies answer 40058.
  bool lenient_json = true;
};

// DefaultConfig()
//
// The built-in corp, so the simulator works with zero configuration:
//   corp_id ww-sim-corp; app 1000002 secret sim-secret-1000002, app 1000003 secret
//   sim-secret-1000003; users zhangsan, lisi, wangwu, zhaoliu (unlicensed);
//   departments 1 (root), 2 (ops, under 1), 3 (dev, under 1); tags 1 oncall {zhangsan, lisi},
//   2 dev {department 3}; robots sim-robot-key-1, sim-robot-key-2.
Config DefaultConfig();

// ParseConfig()
//
// Parses YAML or JSON. Keys that are absent keep DefaultConfig()'s values, except the directory
// lists (apps, users, departments, tags, robots), which replace the defaults when present.
// Unknown keys and malformed values give InvalidArgument naming the key. Durations are strings
// in absl form ("7200s", "2h", "500ms").
absl::StatusOr<Config> ParseConfig(std::string_view text);

// ApplyConfigText()
//
// Applies the keys present in `text` (same format as ParseConfig) to `*config`. On error
// `*config` may be partly changed; apply to a copy.
absl::Status ApplyConfigText(std::string_view text, Config* config);

// Validate()
//
// Checks that the config is usable: a corp id, unique positive agent ids with secrets, unique
// user ids, department ids, tag ids and robot keys.
absl::Status Validate(const Config& config);

}  // namespace wecom_notify::wecom_sim

#endif  // WECOM_NOTIFY_LIBS_WECOM_SIM_CONFIG_H_
