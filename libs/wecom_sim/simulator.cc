#include "libs/wecom_sim/simulator.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "nlohmann/json.hpp"

namespace wecom_notify::wecom_sim {
namespace {

using json = nlohmann::json;

constexpr char kJsonContentType[] = "application/json; charset=UTF-8";
constexpr char kGettoken[] = "gettoken";
constexpr char kMessageSend[] = "message/send";
constexpr char kWebhookSend[] = "webhook/send";
constexpr size_t kMaxUsers = 1000;
constexpr size_t kMaxParties = 100;
constexpr size_t kMaxTags = 100;
constexpr size_t kMaxArticles = 8;

// ---------------------------------------------------------------------------------------------
// Small helpers.

std::string Dump(const json& j) {
  // Raw UTF-8 out; invalid UTF-8 (a raw byte cut) is replaced instead of throwing.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string UrlDecode(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < s.size() &&
               absl::ascii_isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               absl::ascii_isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        return absl::ascii_tolower(static_cast<unsigned char>(h)) - 'a' + 10;
      };
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

using QueryParams = std::vector<std::pair<std::string, std::string>>;

QueryParams ParseQuery(absl::string_view query) {
  QueryParams params;
  for (absl::string_view part : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    const size_t eq = part.find('=');
    if (eq == absl::string_view::npos) {
      params.emplace_back(UrlDecode(part), "");
    } else {
      params.emplace_back(UrlDecode(part.substr(0, eq)), UrlDecode(part.substr(eq + 1)));
    }
  }
  return params;
}

// The first value of `name`; `present` tells an absent name from an empty value.
std::string Param(const QueryParams& params, std::string_view name, bool* present = nullptr) {
  for (const auto& [key, value] : params) {
    if (key == name) {
      if (present != nullptr) *present = true;
      return value;
    }
  }
  if (present != nullptr) *present = false;
  return "";
}

// "a| b |c||" -> {"a", "b", "c"}.
std::vector<std::string> SplitIds(absl::string_view list) {
  std::vector<std::string> ids;
  for (absl::string_view id : absl::StrSplit(list, '|')) {
    id = absl::StripAsciiWhitespace(id);
    if (!id.empty()) ids.emplace_back(id);
  }
  return ids;
}

// Removes commas that directly precede '}' or ']' (ignoring whitespace), outside strings: the
// one kind of "wrong json format" the real server is known to accept.
std::string StripTrailingCommas(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < text.size()) {
        out.push_back(text[++i]);
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    if (c == ',') {
      size_t j = i + 1;
      while (j < text.size() && absl::ascii_isspace(static_cast<unsigned char>(text[j]))) ++j;
      if (j < text.size() && (text[j] == '}' || text[j] == ']')) continue;
    }
    out.push_back(c);
  }
  return out;
}

// Largest cut <= max_bytes; with `utf8_safe`, one that does not split a code point.
size_t CutBytes(std::string_view s, size_t max_bytes, bool utf8_safe) {
  if (s.size() <= max_bytes) return s.size();
  size_t cut = max_bytes;
  if (utf8_safe) {
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  }
  return cut;
}

// Truncates to `max_chars` code points (字符). Returns whether it cut.
bool TruncateChars(std::string* s, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < s->size(); ++i) {
    if ((static_cast<unsigned char>((*s)[i]) & 0xC0) != 0x80) {
      if (chars == max_chars) {
        s->resize(i);
        return true;
      }
      ++chars;
    }
  }
  return false;
}

uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// An opaque id of `length` characters from [A-Za-z0-9_-], derived from (seed, n).
std::string OpaqueId(uint64_t seed, uint64_t n, size_t length) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
  std::string id;
  id.reserve(length);
  uint64_t x = SplitMix64(seed ^ SplitMix64(n));
  while (id.size() < length) {
    x = SplitMix64(x);
    for (int i = 0; i < 10 && id.size() < length; ++i) id.push_back(kAlphabet[(x >> (6 * i)) & 63]);
  }
  return id;
}

std::string TimeString(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

// Reads an int from an integer or a numeric string. false when it is neither.
bool ReadInt(const json& j, int64_t* out) {
  if (j.is_number_integer()) {
    *out = j.get<int64_t>();
    return true;
  }
  if (j.is_string()) return absl::SimpleAtoi(j.get<std::string>(), out);
  if (j.is_boolean()) {
    *out = j.get<bool>() ? 1 : 0;
    return true;
  }
  return false;
}

std::string StringField(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

const std::map<int, std::string>& StandardErrmsgs() {
  static const auto* const kErrmsgs = new std::map<int, std::string>{
      {-1, "system busy"},
      {40001, "invalid credential"},
      {40007, "invalid media_id"},
      {40008, "invalid message type"},
      {40013, "invalid corpid"},
      {40014, "invalid access_token"},
      {40031, "Warning: wrong json format. invalid user list"},
      {40032, "invalid user list size"},
      {40056, "invalid agentid"},
      {40058, "invalid Request Parameter"},
      {40066, "Warning: wrong json format. invalid party list"},
      {40068, "Warning: wrong json format. invalid tag list"},
      {40074, "news not support safe"},
      {41001, "access_token missing"},
      {41002, "corpid missing"},
      {41004, "corpsecret missing"},
      {41011, "missing agentid"},
      {41016, "missing title"},
      {41033, "missing description"},
      {42001, "access_token expired"},
      {44002, "empty post data"},
      {44004, "empty content"},
      {45002, "content size out of limit"},
      {45008, "article size out of limit"},
      {45009, "api freq out of limit"},
      {45033, "api concurrent out of limit"},
      {60020, "not allow to access from your ip"},
      {81013, "user & party & tag all invalid"},
      {81026, "function is under maintenance"},
      {82001, "All touser & toparty & totag invalid"},
      {82002, "invalid party list size"},
      {82003, "invalid tag list size"},
      {93000, "invalid webhook url"},
      {93004, "webhook disabled"},
      {301002, "not allow operate another agent with this accesstoken."},
  };
  return *kErrmsgs;
}

std::string StandardErrmsg(int errcode) {
  auto it = StandardErrmsgs().find(errcode);
  return it != StandardErrmsgs().end() ? it->second : "simulated error";
}

// ---------------------------------------------------------------------------------------------
// Requests in flight, shared with the tickets handed to the transport (which may outlive the
// simulator).

struct InFlight {
  absl::Mutex mu;
  absl::flat_hash_map<std::string, int> count ABSL_GUARDED_BY(mu);
};

std::shared_ptr<void> AcquireTicket(const std::shared_ptr<InFlight>& in_flight,
                                    const std::string& key) {
  {
    absl::MutexLock lock(&in_flight->mu);
    ++in_flight->count[key];
  }
  return std::shared_ptr<void>(new char(0), [in_flight, key](char* p) {
    delete p;
    absl::MutexLock lock(&in_flight->mu);
    if (--in_flight->count[key] <= 0) in_flight->count.erase(key);
  });
}

int InFlightCount(const std::shared_ptr<InFlight>& in_flight, const std::string& key) {
  absl::MutexLock lock(&in_flight->mu);
  auto it = in_flight->count.find(key);
  return it == in_flight->count.end() ? 0 : it->second;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

struct Simulator::State {
  struct Token {
    int64_t agent_id = 0;
    absl::Time expires;
    int revoked_errcode = 0;  // non-zero: answer this instead of serving
  };

  struct Message {
    int64_t seq = 0;
    absl::Time time;
    std::string endpoint;
    int64_t agent_id = 0;   // app messages
    std::string robot_key;  // robot messages
    std::string msgtype;
    json content;  // the msgtype object as delivered (after truncation)
    std::string raw_body;
    std::string msgid;
    json to;                             // touser/toparty/totag as sent
    std::vector<std::string> delivered;  // userids that received it (app)
    std::vector<std::string> dropped;    // userids dropped by the per-member limit
    std::string invaliduser, invalidparty, invalidtag, unlicenseduser;
    int64_t safe = 0;
    int64_t enable_duplicate_check = 0;
    int64_t duplicate_check_interval = 0;
    bool truncated = false;
    bool json_warning = false;
    std::vector<std::string> mentioned_list, mentioned_mobile_list, at_userids;
    // The message as /sim/messages shows it, serialized once when recorded (content and
    // raw_body are then released): listing 50k messages is a copy, not 50k serializations.
    std::string json_text;
  };

  struct Suppressed {
    int64_t seq;
    absl::Time time;
    int64_t agent_id;
    int64_t duplicate_of;
    std::string msgid;
  };

  struct ActiveFault {
    int64_t id;
    Fault fault;
  };

  struct Recipient {
    int64_t delivered = 0;
    int64_t dropped = 0;
  };

  // Directory indexes, rebuilt by Index().
  struct AppIndex {
    const App* app = nullptr;
    bool whole_corp = true;
    absl::flat_hash_set<std::string> visible_users;    // lower-cased
    absl::flat_hash_set<int64_t> visible_departments;  // with descendants
  };

  Config config;
  absl::flat_hash_map<std::string, size_t> user_by_lower;
  absl::flat_hash_map<int64_t, size_t> department_by_id;
  absl::flat_hash_map<int64_t, std::vector<int64_t>> children;
  absl::flat_hash_map<int64_t, std::vector<std::string>> members;  // department -> lower userids
  absl::flat_hash_map<int64_t, size_t> tag_by_id;
  std::map<int64_t, AppIndex> apps;
  absl::flat_hash_map<std::string, size_t> robot_by_key;

  uint64_t seed = 0;
  uint64_t next_token = 0;
  uint64_t next_hint = 0;
  int64_t next_seq = 0;
  int64_t next_fault_id = 0;
  absl::flat_hash_map<std::string, Token> tokens;
  std::map<int64_t, std::string> current_token;  // agent id -> token
  struct BadSecret {
    int count = 0;
    absl::Time banned_until = absl::InfinitePast();
  };
  absl::flat_hash_map<std::string, BadSecret> bad_secrets;  // by ip
  std::vector<ActiveFault> faults;
  std::vector<Message> messages;
  std::vector<Suppressed> suppressed;
  std::map<std::string, Recipient> recipients;
  std::map<std::pair<int64_t, std::string>, std::deque<absl::Time>> member_window;
  std::map<std::string, std::deque<absl::Time>> robot_window;
  std::map<int64_t, std::pair<int64_t, int64_t>> daily;  // agent -> (day, person-times)
  std::map<std::pair<int64_t, std::string>, std::pair<absl::Time, int64_t>> dedup;  // -> (t, seq)
  Counts counts;
  std::shared_ptr<InFlight> in_flight = std::make_shared<InFlight>();

  void Index() {
    user_by_lower.clear();
    department_by_id.clear();
    children.clear();
    members.clear();
    tag_by_id.clear();
    apps.clear();
    robot_by_key.clear();
    for (size_t i = 0; i < config.users.size(); ++i) {
      const std::string lower = absl::AsciiStrToLower(config.users[i].userid);
      user_by_lower[lower] = i;
      for (int64_t d : config.users[i].departments) members[d].push_back(lower);
    }
    for (size_t i = 0; i < config.departments.size(); ++i) {
      department_by_id[config.departments[i].id] = i;
      if (config.departments[i].parent_id != 0) {
        children[config.departments[i].parent_id].push_back(config.departments[i].id);
      }
    }
    for (size_t i = 0; i < config.tags.size(); ++i) tag_by_id[config.tags[i].id] = i;
    for (size_t i = 0; i < config.robots.size(); ++i) robot_by_key[config.robots[i].key] = i;
    for (const App& app : config.apps) {
      AppIndex& index = apps[app.agent_id];
      index.app = &app;
      index.whole_corp = app.visible_users.empty() && app.visible_departments.empty();
      for (const std::string& u : app.visible_users) {
        index.visible_users.insert(absl::AsciiStrToLower(u));
      }
      for (int64_t d : app.visible_departments) {
        for (int64_t sub : Subtree(d)) index.visible_departments.insert(sub);
      }
    }
  }

  // `root` and every department below it (cycle-safe).
  std::vector<int64_t> Subtree(int64_t root) const {
    std::vector<int64_t> out;
    absl::flat_hash_set<int64_t> seen;
    std::vector<int64_t> stack = {root};
    while (!stack.empty()) {
      const int64_t d = stack.back();
      stack.pop_back();
      if (!seen.insert(d).second) continue;
      out.push_back(d);
      auto it = children.find(d);
      if (it != children.end()) stack.insert(stack.end(), it->second.begin(), it->second.end());
    }
    return out;
  }

  bool UserVisible(const AppIndex& app, const std::string& lower) const {
    if (app.whole_corp) return true;
    if (app.visible_users.contains(lower)) return true;
    const User& user = config.users[user_by_lower.at(lower)];
    for (int64_t d : user.departments) {
      if (app.visible_departments.contains(d)) return true;
    }
    return false;
  }

  bool DepartmentVisible(const AppIndex& app, int64_t id) const {
    return app.whole_corp || app.visible_departments.contains(id);
  }
};

// ---------------------------------------------------------------------------------------------

namespace {

// Everything one Handle() call needs besides the state.
struct Call {
  absl::Time now;
  std::string remote_ip;
  absl::Duration delay = absl::ZeroDuration();
};

}  // namespace

Simulator::Simulator(Config config, Clock& clock) : clock_(clock), state_(new State) {
  state_->config = std::move(config);
  state_->seed = (static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
  state_->Index();
}

Simulator::~Simulator() = default;

namespace {

// Builds the WeCom errcode replies. `State` is private to Simulator, so this works on the pieces.
class Replies {
 public:
  Replies(const Call& call, uint64_t* next_hint) : call_(call), next_hint_(next_hint) {}

  std::string Errmsg(int errcode, std::string text, bool suffix) {
    if (!suffix) return text;
    const uint64_t hint_n = (*next_hint_)++;
    return absl::StrFormat(
        "%s, hint: [%010d%09d], from ip: %s, more info at "
        "https://open.work.weixin.qq.com/devtool/query?e=%d",
        text, absl::ToUnixSeconds(call_.now), hint_n % 1000000000, call_.remote_ip, errcode);
  }

  // An errcode answer (HTTP 200) with the Error-Code/Error-Msg headers real captures show.
  Reply Error(int errcode, std::string text = "", json extra = json::object()) {
    if (text.empty()) text = StandardErrmsg(errcode);
    // The real server answers message/send with a bad token with exactly "invalid access_token".
    const bool suffix = errcode != 40014;
    json body = std::move(extra);
    body["errcode"] = errcode;
    body["errmsg"] = Errmsg(errcode, std::move(text), suffix);
    Reply reply = Json(body);
    reply.headers.emplace_back("Error-Code", std::to_string(errcode));
    // The mirror header only when it is safe as a header value (an injected errmsg may not be).
    const std::string& errmsg = body["errmsg"].get_ref<const std::string&>();
    if (std::all_of(errmsg.begin(), errmsg.end(), [](char c) { return c >= 0x20 && c < 0x7f; })) {
      reply.headers.emplace_back("Error-Msg", errmsg);
    }
    return reply;
  }

  Reply Json(const json& body, int status = 200) {
    Reply reply;
    reply.status = status;
    reply.content_type = kJsonContentType;
    reply.body = Dump(body);
    reply.delay = call_.delay;
    return reply;
  }

 private:
  const Call& call_;
  uint64_t* next_hint_;
};

Reply ControlError(int status, const std::string& message) {
  Reply reply;
  reply.status = status;
  reply.content_type = kJsonContentType;
  reply.body = Dump(json{{"error", message}});
  return reply;
}

Reply ControlJson(const json& body) {
  Reply reply;
  reply.status = 200;
  reply.content_type = kJsonContentType;
  reply.body = Dump(body);
  return reply;
}

// Parses a request body the way the real server does: strict JSON, else (lenient) JSON with
// trailing commas removed and a warning. Returns a discarded value when neither parses.
json ParseBody(const std::string& body, bool lenient, bool* warning) {
  *warning = false;
  json j = json::parse(body, nullptr, false);
  if (!j.is_discarded() || !lenient) return j;
  j = json::parse(StripTrailingCommas(body), nullptr, false);
  if (!j.is_discarded()) *warning = true;
  return j;
}

absl::StatusOr<Fault> ParseFault(const json& j) {
  if (!j.is_object()) return absl::InvalidArgumentError("a fault must be a JSON object");
  Fault fault;
  for (const auto& [key, value] : j.items()) {
    if (key == "endpoint" && value.is_string()) {
      fault.endpoint = value.get<std::string>();
      if (fault.endpoint != "*" && fault.endpoint != kGettoken && fault.endpoint != kMessageSend &&
          fault.endpoint != kWebhookSend) {
        return absl::InvalidArgumentError(absl::StrCat(
            "endpoint: want *, gettoken, message/send or webhook/send, got ", fault.endpoint));
      }
    } else if (key == "count" && value.is_number_integer()) {
      fault.count = value.get<int>();
    } else if (key == "errcode" && value.is_number_integer()) {
      fault.errcode = value.get<int>();
    } else if (key == "errmsg" && value.is_string()) {
      fault.errmsg = value.get<std::string>();
    } else if (key == "http_status" && value.is_number_integer()) {
      fault.http_status = value.get<int>();
      if (fault.http_status < 100 || fault.http_status > 599) {
        return absl::InvalidArgumentError("http_status: want 100..599");
      }
    } else if (key == "body" && value.is_string()) {
      fault.body = value.get<std::string>();
    } else if (key == "delay_ms" && value.is_number()) {
      fault.delay = absl::Milliseconds(value.get<double>());
    } else if (key == "delay" && value.is_string()) {
      if (!absl::ParseDuration(value.get<std::string>(), &fault.delay)) {
        return absl::InvalidArgumentError("delay: want a duration such as \"1.5s\"");
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown or mistyped fault key: ", key));
    }
  }
  if (fault.count == 0 || fault.count < -1) {
    return absl::InvalidArgumentError("count: want a positive number or -1 (until cleared)");
  }
  if (fault.errcode == 0 && fault.http_status == 0 && fault.delay <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("a fault needs errcode, http_status or delay");
  }
  return fault;
}

json FaultJson(int64_t id, const Fault& f) {
  return json{{"id", id},
              {"endpoint", f.endpoint},
              {"count", f.count},
              {"errcode", f.errcode},
              {"errmsg", f.errmsg},
              {"http_status", f.http_status},
              {"delay_ms", absl::ToInt64Milliseconds(f.delay)}};
}

}  // namespace

// The endpoints, run with the simulator's lock held. A friend of Simulator, to reach State.
class Engine {
 public:
  using State = Simulator::State;

  Engine(State& s, Call& call) : s_(s), call_(call), replies_(call, &s.next_hint) {}

  Reply Gettoken(const QueryParams& params);
  Reply MessageSend(const Request& request, const QueryParams& params);
  Reply WebhookSend(const Request& request, const QueryParams& params);

  // Consumes the first fault matching `endpoint`. Returns a reply when the fault answers
  // instead of the endpoint; a pure delay is added to the call and processing continues.
  std::optional<Reply> ApplyFault(const std::string& endpoint);

  static json MessageJson(const State::Message& m);

  void Record(State::Message m) {
    m.json_text = Dump(MessageJson(m));
    m.content = json();
    m.raw_body.clear();
    m.raw_body.shrink_to_fit();
    s_.messages.push_back(std::move(m));
  }

 private:
  Reply Rejected(int errcode, std::string text = "", json extra = json::object()) {
    ++s_.counts.rejected;
    return replies_.Error(errcode, std::move(text), std::move(extra));
  }

  // Checks the access_token; returns the token's app or an error reply.
  std::optional<Reply> CheckToken(const QueryParams& params, int64_t* agent_id);

  // Validates and possibly truncates the message body of an app message (mutates `content`).
  std::optional<Reply> CheckAppContent(const std::string& msgtype, int64_t safe, json* content,
                                       bool* truncated, bool* has_action_menu);
  std::optional<Reply> CheckRobotContent(const std::string& msgtype, const json& content);

  bool SlidingWindowFull(std::deque<absl::Time>* window, absl::Duration span, int limit) {
    while (!window->empty() && window->front() <= call_.now - absl::Hours(1)) window->pop_front();
    const auto first = std::upper_bound(window->begin(), window->end(), call_.now - span);
    return window->end() - first >= limit;
  }

  std::string NewMsgid() { return OpaqueId(s_.seed, 1'000'000'000ULL + s_.next_seq, 43); }

  State& s_;
  Call& call_;
  Replies replies_;
};

std::optional<Reply> Engine::ApplyFault(const std::string& endpoint) {
  for (auto it = s_.faults.begin(); it != s_.faults.end(); ++it) {
    Fault& f = it->fault;
    if (f.endpoint != "*" && f.endpoint != endpoint) continue;
    const Fault fault = f;  // copy before a possible erase
    if (f.count > 0 && --f.count == 0) s_.faults.erase(it);
    call_.delay += fault.delay;
    if (fault.http_status != 0) {
      ++s_.counts.faults_injected;
      Reply reply;
      reply.status = fault.http_status;
      reply.content_type = "text/html";
      reply.body = !fault.body.empty()
                       ? fault.body
                       : absl::StrFormat(
                             "<html>\r\n<head><title>%d</title></head>\r\n<body>\r\n<center>"
                             "<h1>%d</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n"
                             "</html>\r\n",
                             fault.http_status, fault.http_status);
      reply.delay = call_.delay;
      return reply;
    }
    if (fault.errcode != 0) {
      ++s_.counts.faults_injected;
      if (endpoint != kGettoken) ++s_.counts.rejected;
      return replies_.Error(fault.errcode, fault.errmsg);
    }
    return std::nullopt;  // a pure delay
  }
  return std::nullopt;
}

Reply Engine::Gettoken(const QueryParams& params) {
  bool has_secret = false;
  bool has_corpid = false;
  const std::string secret = Param(params, "corpsecret", &has_secret);
  const std::string corpid = Param(params, "corpid", &has_corpid);
  State::BadSecret& ban = s_.bad_secrets[call_.remote_ip];
  if (ban.banned_until > call_.now) return replies_.Error(45009);
  if (!has_secret || secret.empty()) return replies_.Error(41004);
  if (!has_corpid || corpid.empty()) return replies_.Error(41002);
  if (corpid != s_.config.corp_id) return replies_.Error(40013);
  const App* app = nullptr;
  for (const App& candidate : s_.config.apps) {
    if (candidate.secret == secret) app = &candidate;
  }
  if (app == nullptr) {
    if (s_.config.bad_secret_ban_threshold > 0 &&
        ++ban.count >= s_.config.bad_secret_ban_threshold) {
      ban.count = 0;
      ban.banned_until = call_.now + s_.config.bad_secret_ban;
    }
    return replies_.Error(40001);
  }
  if (!app->enabled) return replies_.Error(40001);

  const absl::Duration lifetime = s_.config.token_lifetime;
  std::string token;
  absl::Duration expires_in = lifetime;
  auto current = s_.current_token.find(app->agent_id);
  if (s_.config.token_reuse == TokenReuse::kSameUntilExpiry && current != s_.current_token.end()) {
    auto it = s_.tokens.find(current->second);
    if (it != s_.tokens.end() && it->second.revoked_errcode == 0 &&
        call_.now < it->second.expires) {
      token = it->first;
      if (s_.config.expires_in == ExpiresIn::kRemaining)
        expires_in = it->second.expires - call_.now;
    }
  }
  if (token.empty()) {
    token = OpaqueId(s_.seed, s_.next_token++, 128);
    s_.tokens[token] = State::Token{app->agent_id, call_.now + lifetime, 0};
    s_.current_token[app->agent_id] = token;
    ++s_.counts.tokens_issued;
  }
  return replies_.Json(json{{"errcode", 0},
                            {"errmsg", "ok"},
                            {"access_token", token},
                            {"expires_in", absl::ToInt64Seconds(expires_in)}});
}

std::optional<Reply> Engine::CheckToken(const QueryParams& params, int64_t* agent_id) {
  const std::string token = Param(params, "access_token");
  if (token.empty()) return Rejected(41001);
  auto it = s_.tokens.find(token);
  if (it == s_.tokens.end()) return Rejected(40014);
  if (it->second.revoked_errcode != 0) return Rejected(it->second.revoked_errcode);
  if (call_.now >= it->second.expires) return Rejected(42001);
  *agent_id = it->second.agent_id;
  return std::nullopt;
}

std::optional<Reply> Engine::CheckAppContent(const std::string& msgtype, int64_t safe,
                                             json* content, bool* truncated,
                                             bool* has_action_menu) {
  const Config& c = s_.config;
  if (!content->is_object()) {
    return Rejected(msgtype == "text" || msgtype == "markdown" ? 44004 : 40058);
  }
  if (msgtype == "text" || msgtype == "markdown") {
    std::string text = StringField(*content, "content");
    if (text.empty()) return Rejected(44004);
    if (msgtype == "text" && text.size() > c.app_text_max_bytes) {
      text.resize(CutBytes(text, c.app_text_max_bytes, c.utf8_safe_truncation));
      (*content)["content"] = text;
      *truncated = true;
    } else if (msgtype == "markdown" && text.size() > c.app_markdown_max_bytes) {
      if (c.app_markdown_over_limit == OverLimit::kReject) return Rejected(45002);
      text.resize(CutBytes(text, c.app_markdown_max_bytes, c.utf8_safe_truncation));
      (*content)["content"] = text;
      *truncated = true;
    }
    return std::nullopt;
  }
  if (msgtype == "textcard") {
    std::string title = StringField(*content, "title");
    std::string description = StringField(*content, "description");
    const std::string url = StringField(*content, "url");
    if (title.empty()) return Rejected(41016);
    if (description.empty()) return Rejected(41033);
    if (url.empty() || url.size() > 2048) return Rejected(40058);
    if (TruncateChars(&title, 128)) *truncated = true;
    if (TruncateChars(&description, 512)) *truncated = true;
    (*content)["title"] = title;
    (*content)["description"] = description;
    return std::nullopt;
  }
  if (msgtype == "news" || msgtype == "mpnews") {
    auto articles = content->find("articles");
    if (articles == content->end() || !articles->is_array() || articles->empty()) {
      return Rejected(40058);
    }
    if (articles->size() > kMaxArticles) return Rejected(45008);
    if (msgtype == "news" && safe == 1) return Rejected(40074);
    for (json& article : *articles) {
      if (!article.is_object()) return Rejected(40058);
      std::string title = StringField(article, "title");
      if (title.empty()) return Rejected(41016);
      if (msgtype == "mpnews") {
        if (StringField(article, "thumb_media_id").empty()) return Rejected(40007);
        continue;
      }
      if (StringField(article, "url").empty() &&
          (StringField(article, "appid").empty() || StringField(article, "pagepath").empty())) {
        return Rejected(40058);
      }
      std::string description = StringField(article, "description");
      if (title.size() > 128) {
        title.resize(CutBytes(title, 128, c.utf8_safe_truncation));
        article["title"] = title;
        *truncated = true;
      }
      if (description.size() > 512) {
        description.resize(CutBytes(description, 512, c.utf8_safe_truncation));
        article["description"] = description;
        *truncated = true;
      }
    }
    return std::nullopt;
  }
  if (msgtype == "image" || msgtype == "voice" || msgtype == "video" || msgtype == "file") {
    if (StringField(*content, "media_id").empty()) return Rejected(40007);
    return std::nullopt;
  }
  if (msgtype == "template_card") {
    static const auto* const kCardTypes =
        new std::set<std::string>{"text_notice", "news_notice", "button_interaction",
                                  "vote_interaction", "multiple_interaction"};
    const std::string card_type = StringField(*content, "card_type");
    if (!kCardTypes->count(card_type)) return Rejected(40058);
    *has_action_menu = content->contains("action_menu") || card_type == "button_interaction" ||
                       card_type == "vote_interaction" || card_type == "multiple_interaction";
    return std::nullopt;
  }
  if (msgtype == "miniprogram_notice") return std::nullopt;
  return Rejected(40008);
}

Reply Engine::MessageSend(const Request& request, const QueryParams& params) {
  const Config& c = s_.config;
  int64_t token_agent = 0;
  if (auto error = CheckToken(params, &token_agent)) return *std::move(error);
  if (request.method != "POST") return Rejected(40058);

  std::shared_ptr<void> ticket;
  const std::string flight_key = absl::StrCat("app:", token_agent);
  if (c.app_max_in_flight > 0 && InFlightCount(s_.in_flight, flight_key) >= c.app_max_in_flight) {
    return Rejected(45033);
  }
  ticket = AcquireTicket(s_.in_flight, flight_key);
  auto with_ticket = [&ticket](Reply reply) {
    reply.in_flight = ticket;
    return reply;
  };

  if (request.body.empty()) return with_ticket(Rejected(44002));
  bool warning = false;
  json body = ParseBody(request.body, c.lenient_json, &warning);
  if (body.is_discarded() || !body.is_object()) return with_ticket(Rejected(40058));

  // agentid: an integer, or a numeric string (Alertmanager sends one).
  auto agent_field = body.find("agentid");
  if (agent_field == body.end()) return with_ticket(Rejected(41011));
  int64_t agent_id = 0;
  if (!ReadInt(*agent_field, &agent_id) || agent_field->is_boolean()) {
    return with_ticket(Rejected(40056));
  }
  auto app_it = s_.apps.find(agent_id);
  if (app_it == s_.apps.end()) return with_ticket(Rejected(40056));
  if (agent_id != token_agent) return with_ticket(Rejected(301002));
  const State::AppIndex& app = app_it->second;

  const std::string msgtype = StringField(body, "msgtype");
  static const auto* const kAppTypes =
      new std::set<std::string>{"text",         "image", "voice",  "video",    "file",
                                "textcard",     "news",  "mpnews", "markdown", "miniprogram_notice",
                                "template_card"};
  if (!kAppTypes->count(msgtype)) return with_ticket(Rejected(40008));

  // Recipients: strings joined by '|'; an integer is accepted with the JSON warning.
  std::string lists[3];
  const char* const kListKeys[3] = {"touser", "toparty", "totag"};
  const int kListErrors[3] = {40031, 40066, 40068};
  for (int i = 0; i < 3; ++i) {
    auto it = body.find(kListKeys[i]);
    if (it == body.end() || it->is_null()) continue;
    if (it->is_string()) {
      lists[i] = it->get<std::string>();
    } else if (it->is_number_integer()) {
      lists[i] = std::to_string(it->get<int64_t>());
      warning = true;
    } else {
      return with_ticket(Rejected(kListErrors[i]));
    }
  }
  const bool to_all = absl::StripAsciiWhitespace(lists[0]) == "@all";
  const std::vector<std::string> users = to_all ? std::vector<std::string>{} : SplitIds(lists[0]);
  const std::vector<std::string> parties = to_all ? std::vector<std::string>{} : SplitIds(lists[1]);
  const std::vector<std::string> tags = to_all ? std::vector<std::string>{} : SplitIds(lists[2]);
  if (!to_all && users.empty() && parties.empty() && tags.empty()) {
    return with_ticket(Rejected(82001));
  }
  if (users.size() > kMaxUsers) return with_ticket(Rejected(40032));
  if (parties.size() > kMaxParties) return with_ticket(Rejected(82002));
  if (tags.size() > kMaxTags) return with_ticket(Rejected(82003));

  // Resolve to the set of users, in a stable order.
  std::vector<std::string> targets;
  absl::flat_hash_set<std::string> seen;
  std::vector<std::string> invalid_users, invalid_parties, invalid_tags;
  auto add_user = [&](const std::string& lower) {
    if (seen.insert(lower).second) targets.push_back(lower);
  };
  auto add_department = [&](int64_t id) {
    for (int64_t d : s_.Subtree(id)) {
      auto it = s_.members.find(d);
      if (it == s_.members.end()) continue;
      for (const std::string& u : it->second) {
        if (s_.UserVisible(app, u)) add_user(u);
      }
    }
  };
  if (to_all) {
    for (const User& u : c.users) {
      const std::string lower = absl::AsciiStrToLower(u.userid);
      if (s_.UserVisible(app, lower)) add_user(lower);
    }
  }
  for (const std::string& u : users) {
    const std::string lower = absl::AsciiStrToLower(u);
    if (s_.user_by_lower.contains(lower) && s_.UserVisible(app, lower)) {
      add_user(lower);
    } else {
      invalid_users.push_back(lower);
    }
  }
  for (const std::string& p : parties) {
    int64_t id = 0;
    if (absl::SimpleAtoi(p, &id) && s_.department_by_id.contains(id) &&
        s_.DepartmentVisible(app, id)) {
      add_department(id);
    } else {
      invalid_parties.push_back(p);
    }
  }
  for (const std::string& t : tags) {
    int64_t id = 0;
    auto it = absl::SimpleAtoi(t, &id) ? s_.tag_by_id.find(id) : s_.tag_by_id.end();
    if (it == s_.tag_by_id.end()) {
      invalid_tags.push_back(t);
      continue;
    }
    const Tag& tag = c.tags[it->second];
    for (const std::string& u : tag.users) {
      const std::string lower = absl::AsciiStrToLower(u);
      if (s_.user_by_lower.contains(lower) && s_.UserVisible(app, lower)) add_user(lower);
    }
    for (int64_t d : tag.departments) {
      if (s_.department_by_id.contains(d)) add_department(d);
    }
  }
  const std::string invaliduser = absl::StrJoin(invalid_users, "|");
  const std::string invalidparty = absl::StrJoin(invalid_parties, "|");
  const std::string invalidtag = absl::StrJoin(invalid_tags, "|");
  const bool any_valid_list = users.size() > invalid_users.size() ||
                              parties.size() > invalid_parties.size() ||
                              tags.size() > invalid_tags.size();
  if (!to_all && !any_valid_list) {
    json extra = json::object();
    if (!invaliduser.empty()) extra["invaliduser"] = invaliduser;
    if (!invalidparty.empty()) extra["invalidparty"] = invalidparty;
    if (!invalidtag.empty()) extra["invalidtag"] = invalidtag;
    return with_ticket(Rejected(81013, "", std::move(extra)));
  }
  // Members without a basic licence are reported, not delivered to.
  std::vector<std::string> deliverable, unlicensed;
  for (const std::string& u : targets) {
    (c.users[s_.user_by_lower.at(u)].licensed ? deliverable : unlicensed).push_back(u);
  }

  int64_t safe = 0;
  if (auto it = body.find("safe"); it != body.end()) ReadInt(*it, &safe);
  json content = body.contains(msgtype) ? body[msgtype] : json();
  bool truncated = false;
  bool has_action_menu = false;
  if (auto error = CheckAppContent(msgtype, safe, &content, &truncated, &has_action_menu)) {
    return with_ticket(*std::move(error));
  }

  int64_t dup_check = 0;
  int64_t dup_interval = absl::ToInt64Seconds(c.duplicate_check_default);
  if (auto it = body.find("enable_duplicate_check"); it != body.end()) ReadInt(*it, &dup_check);
  if (auto it = body.find("duplicate_check_interval"); it != body.end()) {
    int64_t v = 0;
    if (ReadInt(*it, &v) && v > 0) {
      dup_interval = std::min(v, absl::ToInt64Seconds(c.duplicate_check_max));
    }
  }

  json reply_body = {{"errcode", 0},
                     {"errmsg", warning ? "ok. Warning: wrong json format. " : "ok"},
                     {"invaliduser", invaliduser}};
  if (!invalidparty.empty()) reply_body["invalidparty"] = invalidparty;
  if (!invalidtag.empty()) reply_body["invalidtag"] = invalidtag;
  if (!unlicensed.empty()) reply_body["unlicenseduser"] = absl::StrJoin(unlicensed, "|");

  // Duplicate check: the same request JSON from the same app inside the interval is accepted
  // and not delivered (the real reply is UNVERIFIED; errcode 0 assumed).
  const std::pair<int64_t, std::string> dedup_key(agent_id, request.body);
  if (dup_check == 1) {
    auto it = s_.dedup.find(dedup_key);
    if (it != s_.dedup.end() && call_.now - it->second.first < absl::Seconds(dup_interval)) {
      const std::string msgid = NewMsgid();
      s_.suppressed.push_back(
          State::Suppressed{++s_.next_seq, call_.now, agent_id, it->second.second, msgid});
      ++s_.counts.duplicates_suppressed;
      reply_body["msgid"] = msgid;
      return with_ticket(replies_.Json(reply_body));
    }
  }

  // Rate limits: the daily person-times quota, then 30/min and 1000/h per member.
  std::vector<std::string> delivered, dropped;
  if (c.rate_limits) {
    if (c.account_limit > 0) {
      const int64_t day = absl::ToUnixSeconds(call_.now + absl::Hours(8)) / 86400;  // UTC+8 day
      auto& [quota_day, used] = s_.daily[agent_id];
      if (quota_day != day) {
        quota_day = day;
        used = 0;
      }
      if (used + static_cast<int64_t>(deliverable.size()) >
          static_cast<int64_t>(c.account_limit) * 200) {
        return with_ticket(Rejected(45009));
      }
    }
    for (const std::string& u : deliverable) {
      auto& window = s_.member_window[{agent_id, u}];
      const bool full = SlidingWindowFull(&window, absl::Minutes(1), c.member_per_minute) ||
                        SlidingWindowFull(&window, absl::Hours(1), c.member_per_hour);
      (full ? dropped : delivered).push_back(u);
    }
    if (!dropped.empty() && c.member_excess == MemberExcess::kError) {
      return with_ticket(Rejected(45009));
    }
    for (const std::string& u : delivered) s_.member_window[{agent_id, u}].push_back(call_.now);
    if (c.account_limit > 0) s_.daily[agent_id].second += delivered.size();
  } else {
    delivered = deliverable;
  }

  State::Message m;
  m.seq = ++s_.next_seq;
  m.time = call_.now;
  m.endpoint = kMessageSend;
  m.agent_id = agent_id;
  m.msgtype = msgtype;
  m.content = std::move(content);
  m.raw_body = request.body;
  m.msgid = NewMsgid();
  m.to = json{{"touser", lists[0]}, {"toparty", lists[1]}, {"totag", lists[2]}};
  m.delivered = delivered;
  m.dropped = dropped;
  m.invaliduser = invaliduser;
  m.invalidparty = invalidparty;
  m.invalidtag = invalidtag;
  m.unlicenseduser = absl::StrJoin(unlicensed, "|");
  m.safe = safe;
  m.enable_duplicate_check = dup_check;
  m.duplicate_check_interval = dup_interval;
  m.truncated = truncated;
  m.json_warning = warning;
  reply_body["msgid"] = m.msgid;
  if (has_action_menu)
    reply_body["response_code"] = OpaqueId(s_.seed, 2'000'000'000ULL + m.seq, 32);
  if (dup_check == 1) s_.dedup[dedup_key] = {call_.now, m.seq};
  // Keep the duplicate history bounded: forget entries older than the longest interval.
  if (s_.dedup.size() > 100000) {
    for (auto it = s_.dedup.begin(); it != s_.dedup.end();) {
      it = call_.now - it->second.first >= c.duplicate_check_max ? s_.dedup.erase(it)
                                                                 : std::next(it);
    }
  }
  ++s_.counts.messages;
  s_.counts.deliveries += delivered.size();
  s_.counts.dropped += dropped.size();
  if (truncated) ++s_.counts.truncated;
  for (const std::string& u : delivered) ++s_.recipients[u].delivered;
  for (const std::string& u : dropped) ++s_.recipients[u].dropped;
  Record(std::move(m));
  return with_ticket(replies_.Json(reply_body));
}

std::optional<Reply> Engine::CheckRobotContent(const std::string& msgtype, const json& content) {
  const Config& c = s_.config;
  if (msgtype == "text" || msgtype == "markdown" || msgtype == "markdown_v2") {
    if (!content.is_object()) return Rejected(44004);
    const std::string text = StringField(content, "content");
    if (text.empty()) return Rejected(44004);
    const size_t limit = msgtype == "text" ? c.robot_text_max_bytes : c.robot_markdown_max_bytes;
    if (text.size() > limit) {
      return Rejected(40058, absl::StrCat(msgtype, ".content exceed max length ", limit,
                                          ". invalid Request Parameter"));
    }
    return std::nullopt;
  }
  if (!content.is_object()) return Rejected(40058);
  if (msgtype == "image") {
    if (StringField(content, "base64").empty() || StringField(content, "md5").empty()) {
      return Rejected(40058);
    }
    return std::nullopt;
  }
  if (msgtype == "news") {
    auto articles = content.find("articles");
    if (articles == content.end() || !articles->is_array() || articles->empty()) {
      return Rejected(40058);
    }
    if (articles->size() > kMaxArticles) return Rejected(45008);
    for (const json& article : *articles) {
      if (!article.is_object() || StringField(article, "title").empty() ||
          StringField(article, "url").empty()) {
        return Rejected(40058);
      }
    }
    return std::nullopt;
  }
  if (msgtype == "file" || msgtype == "voice") {
    if (StringField(content, "media_id").empty()) return Rejected(40007);
    return std::nullopt;
  }
  if (msgtype == "template_card") {
    const std::string card_type = StringField(content, "card_type");
    if (card_type != "text_notice" && card_type != "news_notice") return Rejected(40058);
    return std::nullopt;
  }
  return Rejected(40008);
}

Reply Engine::WebhookSend(const Request& request, const QueryParams& params) {
  const Config& c = s_.config;
  const std::string key = Param(params, "key");
  auto robot_it = s_.robot_by_key.find(key);
  if (key.empty() || robot_it == s_.robot_by_key.end()) return Rejected(93000);
  if (!c.robots[robot_it->second].enabled) return Rejected(93004);
  if (request.method != "POST") return Rejected(40058);

  const std::string flight_key = absl::StrCat("robot:", key);
  if (c.robot_max_in_flight > 0 &&
      InFlightCount(s_.in_flight, flight_key) >= c.robot_max_in_flight) {
    return Rejected(45033);
  }
  std::shared_ptr<void> ticket = AcquireTicket(s_.in_flight, flight_key);
  auto with_ticket = [&ticket](Reply reply) {
    reply.in_flight = ticket;
    return reply;
  };

  if (request.body.empty()) return with_ticket(Rejected(44002));
  bool warning = false;
  json body = ParseBody(request.body, c.lenient_json, &warning);
  if (body.is_discarded() || !body.is_object()) return with_ticket(Rejected(40058));
  const std::string msgtype = StringField(body, "msgtype");
  static const auto* const kRobotTypes = new std::set<std::string>{
      "text", "markdown", "markdown_v2", "image", "news", "file", "voice", "template_card"};
  if (!kRobotTypes->count(msgtype)) return with_ticket(Rejected(40008));
  const json content = body.contains(msgtype) ? body[msgtype] : json();
  if (auto error = CheckRobotContent(msgtype, content)) return with_ticket(*std::move(error));

  if (c.rate_limits) {
    auto& window = s_.robot_window[key];
    if (SlidingWindowFull(&window, absl::Minutes(1), c.robot_per_minute)) {
      return with_ticket(Rejected(45009));
    }
    window.push_back(call_.now);
  }

  State::Message m;
  m.seq = ++s_.next_seq;
  m.time = call_.now;
  m.endpoint = kWebhookSend;
  m.robot_key = key;
  m.msgtype = msgtype;
  m.content = content;
  m.raw_body = request.body;
  m.json_warning = warning;
  auto read_list = [&content](const char* name) {
    std::vector<std::string> out;
    auto it = content.find(name);
    if (it != content.end() && it->is_array()) {
      for (const json& v : *it) {
        if (v.is_string()) out.push_back(v.get<std::string>());
      }
    }
    return out;
  };
  if (msgtype == "text") {
    m.mentioned_list = read_list("mentioned_list");
    m.mentioned_mobile_list = read_list("mentioned_mobile_list");
  }
  if (msgtype == "text" || msgtype == "markdown") {
    // <@userid> mentions (not in markdown_v2).
    const std::string text = StringField(content, "content");
    for (size_t pos = text.find("<@"); pos != std::string::npos; pos = text.find("<@", pos + 2)) {
      const size_t end = text.find('>', pos + 2);
      if (end == std::string::npos) break;
      m.at_userids.push_back(text.substr(pos + 2, end - pos - 2));
    }
  }
  ++s_.counts.messages;
  ++s_.counts.deliveries;
  Record(std::move(m));
  return with_ticket(replies_.Json(
      json{{"errcode", 0}, {"errmsg", warning ? "ok. Warning: wrong json format. " : "ok"}}));
}

// ---------------------------------------------------------------------------------------------
// Public API.

json Engine::MessageJson(const State::Message& m) {
  json j = {{"seq", m.seq},
            {"time", TimeString(m.time)},
            {"time_unix_ms", absl::ToUnixMillis(m.time)},
            // Microseconds: benchmarks measure alert-in -> request-out latencies below 1 ms.
            {"time_unix_us", absl::ToUnixMicros(m.time)},
            {"endpoint", m.endpoint},
            {"msgtype", m.msgtype},
            {"content", m.content},
            {"truncated", m.truncated},
            {"json_warning", m.json_warning},
            {"request", m.raw_body}};
  if (m.endpoint == kMessageSend) {
    j["agentid"] = m.agent_id;
    j["msgid"] = m.msgid;
    j["to"] = m.to;
    j["touser"] = m.delivered;
    j["dropped"] = m.dropped;
    j["invaliduser"] = m.invaliduser;
    j["invalidparty"] = m.invalidparty;
    j["invalidtag"] = m.invalidtag;
    j["unlicenseduser"] = m.unlicenseduser;
    j["safe"] = m.safe;
    j["enable_duplicate_check"] = m.enable_duplicate_check;
    j["duplicate_check_interval"] = m.duplicate_check_interval;
  } else {
    j["robot"] = m.robot_key;
    j["mentioned_list"] = m.mentioned_list;
    j["mentioned_mobile_list"] = m.mentioned_mobile_list;
    j["at_userids"] = m.at_userids;
  }
  return j;
}

namespace {

json CountsJson(const Counts& c) {
  return json{{"messages", c.messages},
              {"deliveries", c.deliveries},
              {"dropped", c.dropped},
              {"duplicates_suppressed", c.duplicates_suppressed},
              {"truncated", c.truncated},
              {"rejected", c.rejected},
              {"faults_injected", c.faults_injected},
              {"tokens_issued", c.tokens_issued}};
}

}  // namespace

Reply Simulator::Handle(const Request& request) {
  Call call;
  call.now = clock_.Now();
  call.remote_ip = request.remote_ip.empty() ? "127.0.0.1" : request.remote_ip;
  const QueryParams params = ParseQuery(request.query);
  const std::string& path = request.path;

  if (absl::StartsWith(path, "/sim/")) {
    try {
      return HandleControl(request);
    } catch (const json::exception& e) {  // a control body of the wrong shape
      return ControlError(400, e.what());
    }
  }

  absl::MutexLock lock(&mu_);
  State& s = *state_;
  Engine engine(s, call);
  std::string endpoint;
  if (path == "/cgi-bin/gettoken") {
    endpoint = kGettoken;
  } else if (path == "/cgi-bin/message/send") {
    endpoint = kMessageSend;
  } else if (path == "/cgi-bin/webhook/send") {
    endpoint = kWebhookSend;
  } else {
    Reply reply;  // the real server: 404 with an empty body
    reply.status = 404;
    return reply;
  }
  if (auto faulted = engine.ApplyFault(endpoint)) return *std::move(faulted);
  if (endpoint == kGettoken) return engine.Gettoken(params);
  if (endpoint == kMessageSend) return engine.MessageSend(request, params);
  return engine.WebhookSend(request, params);
}

namespace {

const char* Name(TokenReuse v) {
  return v == TokenReuse::kSameUntilExpiry ? "same_until_expiry" : "new_each_call";
}
const char* Name(ExpiresIn v) { return v == ExpiresIn::kConstant ? "constant" : "remaining"; }
const char* Name(OverLimit v) { return v == OverLimit::kReject ? "reject" : "truncate"; }
const char* Name(MemberExcess v) { return v == MemberExcess::kDrop ? "drop" : "error"; }

json ConfigJson(const Config& c) {
  json apps = json::array();
  for (const App& a : c.apps) {
    apps.push_back({{"agent_id", a.agent_id},
                    {"secret", a.secret},
                    {"enabled", a.enabled},
                    {"visible_users", a.visible_users},
                    {"visible_departments", a.visible_departments}});
  }
  json users = json::array();
  for (const User& u : c.users) {
    users.push_back(
        {{"userid", u.userid}, {"departments", u.departments}, {"licensed", u.licensed}});
  }
  json departments = json::array();
  for (const Department& d : c.departments) {
    departments.push_back({{"id", d.id}, {"name", d.name}, {"parent_id", d.parent_id}});
  }
  json tags = json::array();
  for (const Tag& t : c.tags) {
    tags.push_back(
        {{"id", t.id}, {"name", t.name}, {"users", t.users}, {"departments", t.departments}});
  }
  json robots = json::array();
  for (const Robot& r : c.robots) robots.push_back({{"key", r.key}, {"enabled", r.enabled}});
  return json{
      {"corp_id", c.corp_id},
      {"apps", apps},
      {"users", users},
      {"departments", departments},
      {"tags", tags},
      {"robots", robots},
      {"token_lifetime", absl::FormatDuration(c.token_lifetime)},
      {"token_reuse", Name(c.token_reuse)},
      {"expires_in", Name(c.expires_in)},
      {"bad_secret_ban_threshold", c.bad_secret_ban_threshold},
      {"bad_secret_ban", absl::FormatDuration(c.bad_secret_ban)},
      {"app_text_max_bytes", c.app_text_max_bytes},
      {"app_markdown_max_bytes", c.app_markdown_max_bytes},
      {"app_markdown_over_limit", Name(c.app_markdown_over_limit)},
      {"utf8_safe_truncation", c.utf8_safe_truncation},
      {"robot_text_max_bytes", c.robot_text_max_bytes},
      {"robot_markdown_max_bytes", c.robot_markdown_max_bytes},
      {"rate_limits", c.rate_limits},
      {"member_per_minute", c.member_per_minute},
      {"member_per_hour", c.member_per_hour},
      {"member_excess", Name(c.member_excess)},
      {"account_limit", c.account_limit},
      {"robot_per_minute", c.robot_per_minute},
      {"robot_max_in_flight", c.robot_max_in_flight},
      {"app_max_in_flight", c.app_max_in_flight},
      {"duplicate_check_default", absl::FormatDuration(c.duplicate_check_default)},
      {"duplicate_check_max", absl::FormatDuration(c.duplicate_check_max)},
      {"lenient_json", c.lenient_json},
  };
}

Reply ControlText(int status, std::string body) {
  Reply reply;
  reply.status = status;
  reply.content_type = "text/plain; charset=utf-8";
  reply.body = std::move(body);
  return reply;
}

Reply StatusReply(const absl::Status& status) {
  if (status.ok()) return ControlJson(json{{"ok", true}});
  return ControlError(400, std::string(status.message()));
}

// The JSON body of a control request; an empty body is an empty object.
absl::StatusOr<json> ControlBody(const std::string& body) {
  if (absl::StripAsciiWhitespace(body).empty()) return json::object();
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return absl::InvalidArgumentError("body is not JSON");
  return j;
}

}  // namespace

Reply Simulator::HandleControl(const Request& request) {
  const std::string& path = request.path;
  const std::string& method = request.method;
  auto wrong_method = [&]() { return ControlError(405, absl::StrCat(method, " ", path)); };

  if (path == "/sim/healthz") return ControlText(200, "ok\n");
  if (path == "/sim/messages") {
    if (method != "GET") return wrong_method();
    Reply reply = ControlJson(json());
    reply.body = MessagesJson(request.query);
    return reply;
  }
  if (path == "/sim/stats") {
    if (method != "GET") return wrong_method();
    absl::MutexLock lock(&mu_);
    json recipients = json::object();
    for (const auto& [user, r] : state_->recipients) {
      recipients[user] = {{"delivered", r.delivered}, {"dropped", r.dropped}};
    }
    json robots = json::object();
    for (const auto& m : state_->messages) {
      if (!m.robot_key.empty()) robots[m.robot_key] = robots.value(m.robot_key, 0) + 1;
    }
    return ControlJson(json{{"counts", CountsJson(state_->counts)},
                            {"recipients", recipients},
                            {"robots", robots},
                            {"tokens_live", state_->tokens.size()}});
  }
  if (path == "/sim/faults") {
    if (method == "GET") {
      absl::MutexLock lock(&mu_);
      json faults = json::array();
      for (const auto& f : state_->faults) faults.push_back(FaultJson(f.id, f.fault));
      return ControlJson(json{{"faults", faults}});
    }
    if (method == "DELETE") {
      ClearFaults();
      return ControlJson(json{{"ok", true}});
    }
    if (method != "POST") return wrong_method();
    absl::StatusOr<json> body = ControlBody(request.body);
    if (!body.ok()) return StatusReply(body.status());
    // One fault object, or an array of them (all or nothing).
    std::vector<Fault> faults;
    for (const json& item : body->is_array() ? *body : json::array({*body})) {
      absl::StatusOr<Fault> fault = ParseFault(item);
      if (!fault.ok()) return StatusReply(fault.status());
      faults.push_back(*std::move(fault));
    }
    json ids = json::array();
    absl::MutexLock lock(&mu_);
    for (const Fault& f : faults) {
      state_->faults.push_back(State::ActiveFault{++state_->next_fault_id, f});
      ids.push_back(state_->next_fault_id);
    }
    return ControlJson(json{{"ok", true}, {"ids", ids}});
  }
  if (path == "/sim/faults/clear") {
    if (method != "POST") return wrong_method();
    ClearFaults();
    return ControlJson(json{{"ok", true}});
  }
  if (path == "/sim/revoke-token") {
    if (method != "POST") return wrong_method();
    absl::StatusOr<json> body = ControlBody(request.body);
    if (!body.ok()) return StatusReply(body.status());
    const int errcode = body->value("errcode", 40014);
    if (errcode != 40014 && errcode != 42001) {
      return ControlError(400, "errcode: want 40014 or 42001");
    }
    std::string token = body->value("access_token", std::string());
    if (body->contains("agentid")) {
      int64_t agent_id = 0;
      if (!ReadInt((*body)["agentid"], &agent_id)) return ControlError(400, "agentid: want int");
      absl::MutexLock lock(&mu_);
      auto it = state_->current_token.find(agent_id);
      if (it == state_->current_token.end()) {
        return ControlError(404, "no token was issued to this agentid");
      }
      token = it->second;
    }
    int revoked = 0;
    {
      absl::MutexLock lock(&mu_);
      for (auto& [t, info] : state_->tokens) {
        if (token.empty() || t == token) {
          info.revoked_errcode = errcode;
          ++revoked;
        }
      }
    }
    if (!token.empty() && revoked == 0) return ControlError(404, "unknown access_token");
    return ControlJson(json{{"ok", true}, {"revoked", revoked}});
  }
  if (path == "/sim/reset") {
    if (method != "POST") return wrong_method();
    absl::StatusOr<json> body = ControlBody(request.body);
    if (!body.ok()) return StatusReply(body.status());
    Reset(body->value("tokens", false));
    return ControlJson(json{{"ok", true}});
  }
  if (path == "/sim/config") {
    if (method == "GET") return ControlJson(ConfigJson(GetConfig()));
    if (method != "POST") return wrong_method();
    return StatusReply(UpdateConfig(request.body));
  }
  return ControlError(404, absl::StrCat("no control endpoint ", path));
}

void Simulator::AddFault(const Fault& fault) {
  absl::MutexLock lock(&mu_);
  state_->faults.push_back(State::ActiveFault{++state_->next_fault_id, fault});
}

void Simulator::ClearFaults() {
  absl::MutexLock lock(&mu_);
  state_->faults.clear();
}

void Simulator::RevokeToken(const std::string& token, int errcode) {
  absl::MutexLock lock(&mu_);
  for (auto& [t, info] : state_->tokens) {
    if (token.empty() || t == token) info.revoked_errcode = errcode;
  }
}

void Simulator::Reset(bool tokens) {
  absl::MutexLock lock(&mu_);
  State& s = *state_;
  s.faults.clear();
  s.messages.clear();
  s.suppressed.clear();
  s.recipients.clear();
  s.member_window.clear();
  s.robot_window.clear();
  s.daily.clear();
  s.dedup.clear();
  s.bad_secrets.clear();
  s.counts = Counts{};
  if (tokens) {
    s.tokens.clear();
    s.current_token.clear();
  }
}

Counts Simulator::GetCounts() const {
  absl::MutexLock lock(&mu_);
  return state_->counts;
}

Config Simulator::GetConfig() const {
  absl::MutexLock lock(&mu_);
  return state_->config;
}

absl::Status Simulator::UpdateConfig(std::string_view text) {
  absl::MutexLock lock(&mu_);
  Config updated = state_->config;
  absl::Status status = ApplyConfigText(text, &updated);
  if (status.ok()) status = Validate(updated);
  if (!status.ok()) return status;
  state_->config = std::move(updated);
  state_->Index();
  return absl::OkStatus();
}

std::string Simulator::MessagesJson(const std::string& query) const {
  const QueryParams params = ParseQuery(query);
  bool has_touser = false, has_robot = false, has_agent = false, has_type = false;
  const std::string touser = absl::AsciiStrToLower(Param(params, "touser", &has_touser));
  const std::string robot = Param(params, "robot", &has_robot);
  const std::string msgtype = Param(params, "msgtype", &has_type);
  int64_t agent_id = 0;
  int64_t since = 0;
  has_agent = absl::SimpleAtoi(Param(params, "agentid"), &agent_id);
  (void)absl::SimpleAtoi(Param(params, "since"), &since);

  absl::MutexLock lock(&mu_);
  std::string out = "{\"messages\":[";
  // Messages are in seq order: skip straight to `since`.
  auto first = std::upper_bound(state_->messages.begin(), state_->messages.end(), since,
                                [](int64_t seq, const State::Message& m) { return seq < m.seq; });
  bool comma = false;
  for (auto it = first; it != state_->messages.end(); ++it) {
    const State::Message& m = *it;
    if (has_touser &&
        std::find(m.delivered.begin(), m.delivered.end(), touser) == m.delivered.end()) {
      continue;
    }
    if (has_robot && m.robot_key != robot) continue;
    if (has_agent && (m.endpoint != kMessageSend || m.agent_id != agent_id)) continue;
    if (has_type && m.msgtype != msgtype) continue;
    if (comma) out.push_back(',');
    out += m.json_text;
    comma = true;
  }
  json suppressed = json::array();
  for (const State::Suppressed& d : state_->suppressed) {
    if (d.seq <= since || (has_agent && d.agent_id != agent_id)) continue;
    suppressed.push_back({{"seq", d.seq},
                          {"time", TimeString(d.time)},
                          {"agentid", d.agent_id},
                          {"duplicate_of", d.duplicate_of},
                          {"msgid", d.msgid}});
  }
  absl::StrAppend(&out, "],\"suppressed_duplicates\":", Dump(suppressed),
                  ",\"counts\":", Dump(CountsJson(state_->counts)), "}");
  return out;
}

}  // namespace wecom_notify::wecom_sim
