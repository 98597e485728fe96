#include "libs/admin/ctl.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "libs/alert/matcher.h"
#include "libs/common/file_watcher.h"
#include "libs/metrics/version.h"
#include "wecom_notify/v1/admin.grpc.pb.h"
#include "wecom_notify/v1/notify.grpc.pb.h"

namespace wecom_notify::admin {
namespace {

namespace po = boost::program_options;

constexpr char kUsage[] = R"(Usage: notifyctl [flags] <command> [args]

Administers a running notifyd over gRPC (wecom_notify.v1.Admin).

Commands:
  status                                   version, configuration file and version, receivers, alerts
  config get                               the running configuration (secrets masked)
  config apply FILE                        replace the configuration with a YAML file (validated,
                                           written over notifyd's --config.file, applied at once)
  config reload                            re-read notifyd's --config.file (as SIGHUP); a bad file
                                           is refused and the running configuration kept
  receiver list                            receivers and their WeCom destinations
  receiver get NAME
  receiver add NAME user|department|tag ID...     add recipients (to wecom_configs[--index])
  receiver remove NAME user|department|tag ID...  remove recipients
  receiver enable NAME | receiver disable NAME    all destinations, or only --index
  test RECEIVER                            send a test message; prints WeCom's errcode, errmsg, hint
                                           and the invalid recipients
  test --labels k=v[,k=v...]               route a synthetic alert through the real routing and
                                           deliver it; says which routes and receivers matched
  alerts list [MATCHER...]                 alerts notifyd holds (matchers: name="v", =~, !=, !~):
                                           state, start time and labels

Exit codes: 0 done; 1 notifyd answered with an error, or the test was not delivered; 2 usage.)";

std::string Trim(const std::string& s) { return std::string(absl::StripAsciiWhitespace(s)); }

struct Flags {
  std::string address = "127.0.0.1:9097";
  std::string token_file;
  std::string output = "text";
  int index = 0;
  std::vector<std::string> labels;
  bool dry_run = false;
  std::string text;
  int timeout_seconds = 60;
  std::vector<std::string> args;
};

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string ToJson(const google::protobuf::Message& m) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(m, &out, options);
  return out;
}

std::string Ids(const google::protobuf::RepeatedPtrField<std::string>& ids) {
  return ids.empty() ? "-" : absl::StrJoin(ids, ",");
}

std::string FormatResult(const v1::DestinationResult& r) {
  std::string out = absl::StrCat("  ", r.receiver(), " ", r.integration(), ": ");
  if (!r.attempted()) {
    absl::StrAppend(&out, r.enabled() ? "not sent (dry run)" : "disabled, not sent", "\n");
    return out;
  }
  const bool partial = r.code() == "OK" && !r.ok();
  absl::StrAppend(&out, r.ok() ? "OK" : partial ? "PARTIAL" : "FAILED",
                  r.enabled() ? "" : " (entry is disabled)", "\n");
  if (!r.error().empty()) absl::StrAppend(&out, "    error: ", r.code(), ": ", r.error(), "\n");
  for (const auto& c : r.calls()) {
    if (!c.transport_error().empty()) {
      absl::StrAppend(&out, "    transport error: ", c.transport_error(), "\n");
    } else {
      absl::StrAppend(&out, "    WeCom errcode ", c.errcode(), ": ", c.errmsg(), "\n");
    }
    if (!c.hint().empty()) absl::StrAppend(&out, "    hint: ", c.hint(), "\n");
  }
  const auto& inv = r.invalid();
  if (!inv.users().empty()) absl::StrAppend(&out, "    invalid users: ", Ids(inv.users()), "\n");
  if (!inv.parties().empty()) {
    absl::StrAppend(&out, "    invalid departments: ", Ids(inv.parties()), "\n");
  }
  if (!inv.tags().empty()) absl::StrAppend(&out, "    invalid tags: ", Ids(inv.tags()), "\n");
  if (!inv.unlicensed_users().empty()) {
    absl::StrAppend(&out, "    unlicensed users: ", Ids(inv.unlicensed_users()), "\n");
  }
  return out;
}

class Client {
 public:
  Client(const Flags& flags, std::ostream& out, std::ostream& err)
      : flags_(flags), out_(out), err_(err) {
    auto channel = grpc::CreateChannel(flags.address, grpc::InsecureChannelCredentials());
    admin_ = v1::Admin::NewStub(channel);
    notify_ = v1::Notify::NewStub(channel);
    if (!flags.token_file.empty()) {
      absl::StatusOr<std::string> token = ReadSecret(flags.token_file);
      if (!token.ok()) throw UsageError(absl::StrCat("--token-file: ", token.status().message()));
      token_ = *std::move(token);
    }
  }

  std::unique_ptr<grpc::ClientContext> Context() const {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::seconds(flags_.timeout_seconds));
    if (!token_.empty()) ctx->AddMetadata("authorization", absl::StrCat("Bearer ", token_));
    return ctx;
  }

  // Prints a failed call; returns its exit code.
  int Failed(const grpc::Status& s) const {
    err_ << "notifyctl: " << CodeName(s.error_code()) << ": " << s.error_message() << std::endl;
    return 1;
  }

  void Print(const google::protobuf::Message& m, const std::string& text) const {
    out_ << (flags_.output == "json" ? ToJson(m) : text);
    if (flags_.output == "json") out_ << "\n";
  }

  v1::Admin::Stub& admin() { return *admin_; }
  v1::Notify::Stub& notify() { return *notify_; }

  static std::string CodeName(grpc::StatusCode code) {
    static const char* const kNames[] = {
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
        "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
        "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
        "UNAUTHENTICATED"};
    const int i = static_cast<int>(code);
    return i >= 0 && i <= 16 ? kNames[i] : absl::StrCat("code ", i);
  }

 private:
  const Flags& flags_;
  std::ostream& out_;
  std::ostream& err_;
  std::string token_;
  std::unique_ptr<v1::Admin::Stub> admin_;
  std::unique_ptr<v1::Notify::Stub> notify_;
};

void Need(const Flags& f, std::size_t min, std::size_t max, const char* usage) {
  if (f.args.size() < min || f.args.size() > max) throw UsageError(absl::StrCat("usage: notifyctl ", usage));
}

int Status(Client& c, const Flags& f) {
  Need(f, 1, 1, "status");
  v1::GetStatusResponse r;
  auto ctx = c.Context();
  if (auto s = c.admin().GetStatus(ctx.get(), {}, &r); !s.ok()) return c.Failed(s);
  c.Print(r, absl::StrCat("notifyd ", r.version(), "\nstarted at: ", r.started_at(),
                          "\nconfig file: ", r.config_file().empty() ? "(none)" : r.config_file(),
                          "\nconfig version: ", r.config_version(),
                          "\nrouting: ", r.routing() ? "yes" : "no (alerts are stored, not delivered)",
                          "\nreceivers: ", r.receivers(),
                          "\nenabled destinations: ", r.enabled_destinations(),
                          "\nalerts held: ", r.alerts(), "\n"));
  return 0;
}

void FormatRoute(const v1::Route& r, int depth, std::string* out) {
  const std::string pad(depth * 2, ' ');
  absl::StrAppend(out, pad, "- receiver: ", r.receiver().empty() ? "(inherited)" : r.receiver(), "\n");
  if (!r.matchers().empty()) absl::StrAppend(out, pad, "  matchers: ", absl::StrJoin(r.matchers(), ", "), "\n");
  if (!r.group_by().empty()) absl::StrAppend(out, pad, "  group_by: ", absl::StrJoin(r.group_by(), ", "), "\n");
  for (const auto& [k, v] : {std::pair{"group_wait", r.group_wait()}, {"group_interval", r.group_interval()},
                             {"repeat_interval", r.repeat_interval()}}) {
    if (!v.empty()) absl::StrAppend(out, pad, "  ", k, ": ", v, "\n");
  }
  if (r.continue_()) absl::StrAppend(out, pad, "  continue: true\n");
  for (const auto& child : r.routes()) FormatRoute(child, depth + 1, out);
}

int ConfigCmd(Client& c, const Flags& f) {
  if (f.args.size() >= 2 && f.args[1] == "get") {
    Need(f, 2, 2, "config get");
    v1::GetConfigResponse r;
    auto ctx = c.Context();
    if (auto s = c.admin().GetConfig(ctx.get(), {}, &r); !s.ok()) return c.Failed(s);
    const auto& g = r.config().global();
    std::string text =
        absl::StrCat("config file: ", r.config_file().empty() ? "(none)" : r.config_file(),
                     "\nversion: ", r.version(), "\nglobal: resolve_timeout=", g.resolve_timeout(),
                     " wecom_api_url=", g.wecom_api_url(), " time_zone=", g.time_zone(),
                     " language=", g.language());
    // The keys a pasted Alertmanager configuration may set, shown only when set.
    for (const auto& [key, value] :
         {std::pair{"webhook_resolve_timeout", g.webhook_resolve_timeout()},
          {"http_proxy", g.http_proxy()},
          {"wechat_api_corp_id", g.wechat_api_corp_id()},
          {"wechat_api_secret", g.wechat_api_secret_file().empty()
                                    ? g.wechat_api_secret()
                                    : absl::StrCat("file:", g.wechat_api_secret_file())}}) {
      if (!value.empty()) absl::StrAppend(&text, " ", key, "=", value);
    }
    absl::StrAppend(&text, "\n");
    if (r.config().has_route()) {
      absl::StrAppend(&text, "route:\n");
      FormatRoute(r.config().route(), 1, &text);
    } else {
      absl::StrAppend(&text, "route: (none: alerts are stored but not delivered)\n");
    }
    absl::StrAppend(&text, "receivers:\n");
    for (const auto& rc : r.config().receivers()) absl::StrAppend(&text, FormatReceiver(rc));
    c.Print(r, text);
    return 0;
  }
  if (f.args.size() >= 2 && f.args[1] == "apply") {
    Need(f, 3, 3, "config apply FILE");
    std::ifstream in(f.args[2]);
    if (!in) throw UsageError(absl::StrCat("cannot read \"", f.args[2], "\""));
    std::stringstream text;
    text << in.rdbuf();
    v1::ApplyConfigRequest req;
    req.set_yaml(text.str());
    v1::ApplyConfigResponse r;
    auto ctx = c.Context();
    if (auto s = c.admin().ApplyConfig(ctx.get(), req, &r); !s.ok()) return c.Failed(s);
    c.Print(r, absl::StrCat("applied and saved; version ", r.version(), "\n"));
    return 0;
  }
  if (f.args.size() >= 2 && f.args[1] == "reload") {
    Need(f, 2, 2, "config reload");
    v1::ReloadConfigResponse r;
    auto ctx = c.Context();
    if (auto s = c.admin().ReloadConfig(ctx.get(), {}, &r); !s.ok()) return c.Failed(s);
    c.Print(r, absl::StrCat("reloaded; version ", r.version(), "\n"));
    return 0;
  }
  throw UsageError("usage: notifyctl config get | config apply FILE | config reload");
}

// Reads the receiver and the configuration version.
grpc::Status Fetch(Client& c, const std::string& name, v1::Receiver* out, std::string* version) {
  v1::ListReceiversResponse list;
  auto ctx = c.Context();
  grpc::Status s = c.admin().ListReceivers(ctx.get(), {}, &list);
  if (!s.ok()) return s;
  for (const auto& r : list.receivers()) {
    if (r.name() == name) {
      *out = r;
      *version = list.version();
      return grpc::Status::OK;
    }
  }
  return grpc::Status(grpc::StatusCode::NOT_FOUND, absl::StrCat("no receiver named \"", name, "\""));
}

int Update(Client& c, const v1::Receiver& receiver, const std::string& version, const std::string& what) {
  v1::UpdateReceiverRequest req;
  *req.mutable_receiver() = receiver;
  req.set_expected_version(version);
  v1::UpdateReceiverResponse r;
  auto ctx = c.Context();
  if (auto s = c.admin().UpdateReceiver(ctx.get(), req, &r); !s.ok()) return c.Failed(s);
  c.Print(r, absl::StrCat(what, "; saved and applied (version ", r.version(), ")\n",
                          FormatReceiver(r.receiver())));
  return 0;
}

int ReceiverCmd(Client& c, const Flags& f) {
  const std::string sub = f.args.size() >= 2 ? f.args[1] : "";
  if (sub == "list") {
    Need(f, 2, 2, "receiver list");
    v1::ListReceiversResponse r;
    auto ctx = c.Context();
    if (auto s = c.admin().ListReceivers(ctx.get(), {}, &r); !s.ok()) return c.Failed(s);
    std::string text;
    for (const auto& rc : r.receivers()) absl::StrAppend(&text, FormatReceiver(rc));
    c.Print(r, text.empty() ? "no receivers\n" : text);
    return 0;
  }
  if (sub == "get") {
    Need(f, 3, 3, "receiver get NAME");
    v1::GetReceiverRequest req;
    req.set_name(f.args[2]);
    v1::Receiver r;
    auto ctx = c.Context();
    if (auto s = c.admin().GetReceiver(ctx.get(), req, &r); !s.ok()) return c.Failed(s);
    c.Print(r, FormatReceiver(r));
    return 0;
  }
  if (sub == "add" || sub == "remove") {
    Need(f, 5, 1000, "receiver add|remove NAME user|department|tag ID...");
    v1::Receiver receiver;
    std::string version;
    if (auto s = Fetch(c, f.args[2], &receiver, &version); !s.ok()) return c.Failed(s);
    std::vector<std::string> ids(f.args.begin() + 4, f.args.end());
    absl::Status edited =
        EditRecipients(receiver, f.args[3], ids, sub == "add", f.index > 0 ? f.index - 1 : 0);
    if (absl::IsInvalidArgument(edited)) throw UsageError(std::string(edited.message()));
    if (!edited.ok()) {
      return c.Failed(grpc::Status(grpc::StatusCode::NOT_FOUND, std::string(edited.message())));
    }
    return Update(c, receiver, version,
                  absl::StrCat(sub == "add" ? "added " : "removed ", f.args[3], " ",
                               absl::StrJoin(ids, ",")));
  }
  if (sub == "enable" || sub == "disable") {
    Need(f, 3, 3, "receiver enable|disable NAME");
    v1::Receiver receiver;
    std::string version;
    if (auto s = Fetch(c, f.args[2], &receiver, &version); !s.ok()) return c.Failed(s);
    const bool on = sub == "enable";
    if (f.index > receiver.wecom_configs_size()) {
      throw UsageError(absl::StrCat("--index ", f.index, ": receiver has ",
                                    receiver.wecom_configs_size(), " wecom_configs"));
    }
    for (int i = 0; i < receiver.wecom_configs_size(); ++i) {
      if (f.index == 0 || f.index - 1 == i) receiver.mutable_wecom_configs(i)->set_enabled(on);
    }
    if (f.index == 0) {
      for (auto& robot : *receiver.mutable_wecom_robot_configs()) robot.set_enabled(on);
    }
    return Update(c, receiver, version, on ? "enabled" : "disabled");
  }
  throw UsageError("usage: notifyctl receiver list|get|add|remove|enable|disable ...");
}

int TestCmd(Client& c, const Flags& f) {
  if (!f.labels.empty()) {
    Need(f, 1, 1, "test --labels k=v[,k=v...]");
    v1::TestRouteRequest req;
    for (const auto& group : f.labels) {
      for (absl::string_view pair : absl::StrSplit(group, ',', absl::SkipEmpty())) {
        std::vector<std::string> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
        if (kv.size() != 2 || Trim(kv[0]).empty()) {
          throw UsageError(absl::StrCat("--labels: expected name=value, got \"", pair, "\""));
        }
        (*req.mutable_labels())[Trim(kv[0])] = kv[1];
      }
    }
    req.set_dry_run(f.dry_run);
    v1::TestRouteResponse r;
    auto ctx = c.Context();
    if (auto s = c.admin().TestRoute(ctx.get(), req, &r); !s.ok()) return c.Failed(s);
    c.Print(r, FormatTestRoute(r));
    return r.delivered() ? 0 : 1;
  }
  Need(f, 2, 2, "test RECEIVER | test --labels k=v[,k=v...]");
  v1::SendTestMessageRequest req;
  req.set_receiver(f.args[1]);
  req.set_text(f.text);
  req.set_index(f.index);
  v1::SendTestMessageResponse r;
  auto ctx = c.Context();
  if (auto s = c.admin().SendTestMessage(ctx.get(), req, &r); !s.ok()) return c.Failed(s);
  c.Print(r, FormatTestMessage(r));
  return r.ok() ? 0 : 1;
}

int AlertsCmd(Client& c, const Flags& f) {
  if (f.args.size() < 2 || f.args[1] != "list") throw UsageError("usage: notifyctl alerts list [MATCHER...]");
  v1::ListAlertsRequest req;
  for (std::size_t i = 2; i < f.args.size(); ++i) {
    auto m = alert::Matcher::Parse(f.args[i]);
    if (!m.ok()) throw UsageError(std::string(m.status().message()));
    auto* pm = req.add_matchers();
    pm->set_name(m->name());
    pm->set_value(m->value());
    switch (m->type()) {
      case alert::Matcher::Type::kEqual: pm->set_type(v1::LabelMatcher::EQUAL); break;
      case alert::Matcher::Type::kNotEqual: pm->set_type(v1::LabelMatcher::NOT_EQUAL); break;
      case alert::Matcher::Type::kRegex: pm->set_type(v1::LabelMatcher::REGEX); break;
      case alert::Matcher::Type::kNotRegex: pm->set_type(v1::LabelMatcher::NOT_REGEX); break;
    }
  }
  v1::ListAlertsResponse r;
  auto ctx = c.Context();
  if (auto s = c.notify().ListAlerts(ctx.get(), req, &r); !s.ok()) return c.Failed(s);
  std::string text;
  for (const auto& a : r.alerts()) {
    std::vector<std::string> labels;
    for (const auto& [k, v] : a.labels()) labels.push_back(absl::StrCat(k, "=\"", v, "\""));
    std::sort(labels.begin(), labels.end());
    const char* state = a.status() == v1::ALERT_STATUS_RESOLVED ? "resolved" : "firing  ";
    const absl::Time started = absl::FromUnixSeconds(a.starts_at().seconds());
    absl::StrAppend(&text, state, "  ",
                    absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", started, absl::UTCTimeZone()), "  {",
                    absl::StrJoin(labels, ", "), "}\n");
  }
  absl::StrAppend(&text, r.alerts_size(), " alert(s)\n");
  c.Print(r, text);
  return 0;
}

}  // namespace

absl::Status EditRecipients(v1::Receiver& receiver, const std::string& kind,
                            const std::vector<std::string>& ids, bool add, int index) {
  if (index < 0 || index >= receiver.wecom_configs_size()) {
    return absl::InvalidArgumentError(absl::StrCat("receiver \"", receiver.name(), "\" has no wecom_configs entry ",
                                                   index + 1));
  }
  auto* entry = receiver.mutable_wecom_configs(index);
  google::protobuf::RepeatedPtrField<std::string>* list = nullptr;
  if (kind == "user") list = entry->mutable_to_user();
  else if (kind == "department" || kind == "party") list = entry->mutable_to_party();
  else if (kind == "tag") list = entry->mutable_to_tag();
  else return absl::InvalidArgumentError(absl::StrCat("expected user, department or tag, got \"", kind, "\""));
  for (const auto& id : ids) {
    auto it = std::find(list->begin(), list->end(), id);
    if (add) {
      if (it == list->end()) *list->Add() = id;
    } else {
      if (it == list->end()) {
        return absl::NotFoundError(absl::StrCat(kind, " \"", id, "\" is not a recipient of \"",
                                                receiver.name(), "\""));
      }
      list->erase(it);
    }
  }
  return absl::OkStatus();
}

std::string FormatReceiver(const v1::Receiver& r) {
  std::string out = absl::StrCat(r.name(), "\n");
  for (int i = 0; i < r.wecom_configs_size(); ++i) {
    const auto& c = r.wecom_configs(i);
    absl::StrAppend(&out, "  wecom_app/", i, " [", c.enabled() ? "enabled" : "disabled", "] corp_id=",
                    c.corp_id(), " agent_id=", c.agent_id(), " secret=",
                    c.api_secret_file().empty() ? c.api_secret() : absl::StrCat("file:", c.api_secret_file()),
                    " type=", c.message_type(), "\n    users=", Ids(c.to_user()),
                    " departments=", Ids(c.to_party()), " tags=", Ids(c.to_tag()), "\n");
  }
  for (int i = 0; i < r.wecom_robot_configs_size(); ++i) {
    const auto& c = r.wecom_robot_configs(i);
    absl::StrAppend(&out, "  wecom_robot/", i, " [", c.enabled() ? "enabled" : "disabled", "] key=",
                    c.webhook_key_file().empty() ? c.webhook_key() : absl::StrCat("file:", c.webhook_key_file()),
                    " mentioned=", Ids(c.mentioned_list()), "\n");
  }
  if (r.wecom_configs().empty() && r.wecom_robot_configs().empty()) {
    absl::StrAppend(&out, "  (no WeCom destination)\n");
  }
  return out;
}

std::string FormatTestMessage(const v1::SendTestMessageResponse& r) {
  std::string out = r.ok() ? "test message delivered\n" : "test message NOT delivered everywhere\n";
  for (const auto& d : r.results()) absl::StrAppend(&out, FormatResult(d));
  return out;
}

std::string FormatTestRoute(const v1::TestRouteResponse& r) {
  std::string out = absl::StrCat(r.summary(), "\n");
  for (const auto& m : r.routes()) {
    std::vector<std::string> gl;
    for (const auto& [k, v] : m.group_labels()) gl.push_back(absl::StrCat(k, "=\"", v, "\""));
    std::sort(gl.begin(), gl.end());
    absl::StrAppend(&out, "route ", m.route_key(), " -> receiver ", m.receiver(),
                    m.receiver_defined() ? "" : " (NOT DEFINED)", "\n  group key: ", m.group_key(),
                    "\n  group_by: ", m.group_by().empty() ? "-" : absl::StrJoin(m.group_by(), ","),
                    "  group_wait: ", m.group_wait(), "  group_interval: ", m.group_interval(),
                    "  repeat_interval: ", m.repeat_interval(), "\n  enabled destinations: ",
                    m.enabled_destinations(), "\n");
    for (const auto& d : m.results()) absl::StrAppend(&out, "  ", FormatResult(d));
  }
  return out;
}

int RunNotifyctl(int argc, char** argv, std::ostream& out, std::ostream& err) {
  Flags f;
  po::options_description flags("Flags");
  flags.add_options()
      ("help,h", "Show this help and exit.")
      ("version", "Show the version and exit.")
      ("address", po::value(&f.address)->default_value(f.address), "notifyd's gRPC address.")
      ("token-file", po::value(&f.token_file),
       "File holding the admin token (notifyd --admin.token-file), sent as a bearer token.")
      ("output,o", po::value(&f.output)->default_value(f.output), "Output: text or json.")
      ("index", po::value(&f.index)->default_value(0),
       "wecom_configs entry (1-based) for receiver add/remove/enable/disable and test; "
       "0: the first for add/remove, all otherwise.")
      ("labels,l", po::value(&f.labels)->composing(),
       "test: labels of the synthetic alert, name=value[,name=value]; repeatable.")
      ("dry-run", po::bool_switch(&f.dry_run), "test --labels: route only, send nothing.")
      ("text", po::value(&f.text), "test RECEIVER: message text (default: a built-in test text).")
      ("timeout", po::value(&f.timeout_seconds)->default_value(f.timeout_seconds),
       "Deadline of each call, in seconds.");
  po::options_description hidden;
  hidden.add_options()("args", po::value(&f.args));
  po::options_description all;
  all.add(flags).add(hidden);
  po::positional_options_description positional;
  positional.add("args", -1);
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv)
                  .options(all)
                  .positional(positional)
                  .style(po::command_line_style::default_style &
                         ~po::command_line_style::allow_guessing)
                  .run(),
              vm);
    if (vm.count("help")) {
      out << kUsage << "\n\n" << flags << std::endl;
      return 0;
    }
    if (vm.count("version")) {
      out << "notifyctl " << metrics::kVersion << std::endl;
      return 0;
    }
    po::notify(vm);
    if (f.output != "text" && f.output != "json") {
      throw UsageError(absl::StrCat("-o: expected text or json, got \"", f.output, "\""));
    }
    if (f.args.empty()) throw UsageError("a command is needed");
    Client client(f, out, err);
    const std::string& cmd = f.args[0];
    if (cmd == "status") return Status(client, f);
    if (cmd == "config") return ConfigCmd(client, f);
    if (cmd == "receiver") return ReceiverCmd(client, f);
    if (cmd == "enable" || cmd == "disable") {  // shorthand for receiver enable|disable
      Flags g = f;
      g.args.insert(g.args.begin(), "receiver");
      return ReceiverCmd(client, g);
    }
    if (cmd == "test") return TestCmd(client, f);
    if (cmd == "alerts") return AlertsCmd(client, f);
    throw UsageError(absl::StrCat("unknown command \"", cmd, "\""));
  } catch (const po::error& e) {
    err << "notifyctl: " << e.what() << "\nTry --help." << std::endl;
    return 2;
  } catch (const UsageError& e) {
    err << "notifyctl: " << e.what() << "\nTry --help." << std::endl;
    return 2;
  }
}

}  // namespace wecom_notify::admin
