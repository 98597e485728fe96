#include "libs/admin/convert.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "libs/config/duration.h"

namespace wecom_notify::admin {
namespace {

const char* TypeName(config::MessageType t) {
  return t == config::MessageType::kText ? "text" : "markdown";
}

absl::StatusOr<config::MessageType> ParseType(const std::string& s, const std::string& field) {
  if (s.empty() || s == "markdown") return config::MessageType::kMarkdown;
  if (s == "text") return config::MessageType::kText;
  return absl::InvalidArgumentError(
      absl::StrCat(field, ".message_type: expected text or markdown, got \"", s, "\""));
}

bool KeepsSecret(const std::string& s) { return s.empty() || s == kSecretMask; }

// The proxy URL `given` (from a read, maybe edited) means for an entry whose running one is
// `current` ("" for a new entry): a masked password is put back from whichever running URL
// masks to the same text — the entry's own or the global default.
absl::StatusOr<std::string> ProxyUrl(const std::string& given, const std::string& current,
                                     const config::GlobalConfig& global, const std::string& field) {
  if (given.empty()) return global.http_proxy;
  if (given.find(kSecretMask) == std::string::npos) return given;
  for (const std::string* running : {&current, &global.http_proxy}) {
    if (!running->empty() && MaskUrlPassword(*running) == given) return *running;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(field, ".proxy_url: its password is masked (", kSecretMask,
                   ") but no running proxy_url has this user and address; give the password"));
}

// A secret from a newly given file reference, with the error naming `field`.
absl::StatusOr<std::string> ReadSecret(const std::string& file, const std::string& base_dir,
                                       const std::string& field) {
  auto secret = config::ReadSecretFile(file, base_dir);
  if (!secret.ok()) {
    return absl::Status(secret.status().code(),
                        absl::StrCat(field, ": ", secret.status().message()));
  }
  return secret;
}

std::string MatcherString(const alert::Matcher& m) {
  const char* op = "=";
  switch (m.type()) {
    case alert::Matcher::Type::kEqual: op = "="; break;
    case alert::Matcher::Type::kNotEqual: op = "!="; break;
    case alert::Matcher::Type::kRegex: op = "=~"; break;
    case alert::Matcher::Type::kNotRegex: op = "!~"; break;
  }
  std::string quoted;
  for (char c : m.value()) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return absl::StrCat(m.name(), op, "\"", quoted, "\"");
}

void RouteToProto(const dispatch::RouteSpec& in, v1::Route* out) {
  if (in.receiver) out->set_receiver(*in.receiver);
  if (in.group_by) {
    for (const auto& g : *in.group_by) out->add_group_by(g);
  }
  if (in.group_wait) out->set_group_wait(config::DurationToString(*in.group_wait));
  if (in.group_interval) out->set_group_interval(config::DurationToString(*in.group_interval));
  if (in.repeat_interval) out->set_repeat_interval(config::DurationToString(*in.repeat_interval));
  for (const auto& m : in.matchers) out->add_matchers(MatcherString(m));
  out->set_continue_(in.continue_matching);
  for (const auto& child : in.routes) RouteToProto(child, out->add_routes());
}

}  // namespace

std::string MaskUrlPassword(const std::string& url) {
  const std::size_t scheme_end = url.find("://");
  const std::size_t authority = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const std::size_t authority_end = std::min(url.find_first_of("/?#", authority), url.size());
  const std::size_t at = url.rfind('@', authority_end);
  if (at == std::string::npos || at < authority) return url;
  const std::size_t colon = url.find(':', authority);
  if (colon == std::string::npos || colon > at) return url;
  return absl::StrCat(url.substr(0, colon + 1), kSecretMask, url.substr(at));
}

v1::Receiver ToProto(const config::ReceiverConfig& r) {
  v1::Receiver out;
  out.set_name(r.name);
  for (const auto& c : r.wecom_configs) {
    auto* e = out.add_wecom_configs();
    e->set_corp_id(c.corp_id);
    e->set_agent_id(c.agent_id);
    if (!c.api_secret.empty()) e->set_api_secret(kSecretMask);
    e->set_api_secret_file(c.api_secret_file);
    for (const auto& id : c.to_user) e->add_to_user(id);
    for (const auto& id : c.to_party) e->add_to_party(id);
    for (const auto& id : c.to_tag) e->add_to_tag(id);
    e->set_message_type(TypeName(c.message_type));
    e->set_send_resolved(c.send_resolved);
    e->set_enabled(c.enabled);
    e->set_api_url(c.api_url);
    e->set_proxy_url(MaskUrlPassword(c.proxy_url));
    e->set_account_limit(c.account_limit);
    e->set_proxy_from_environment(c.proxy_from_environment);
  }
  for (const auto& c : r.robot_configs) {
    auto* e = out.add_wecom_robot_configs();
    if (!c.webhook_key.empty()) e->set_webhook_key(kSecretMask);
    e->set_webhook_key_file(c.webhook_key_file);
    for (const auto& id : c.mentioned_list) e->add_mentioned_list(id);
    for (const auto& id : c.mentioned_mobile_list) e->add_mentioned_mobile_list(id);
    e->set_message_type(TypeName(c.message_type));
    e->set_send_resolved(c.send_resolved);
    e->set_enabled(c.enabled);
    e->set_api_url(c.api_url);
    e->set_proxy_url(MaskUrlPassword(c.proxy_url));
  }
  return out;
}

v1::Config ToProto(const config::Config& config) {
  v1::Config out;
  auto* g = out.mutable_global();
  g->set_resolve_timeout(config::DurationToString(config.global.resolve_timeout));
  g->set_webhook_resolve_timeout(config::DurationToString(config.global.webhook_resolve_timeout));
  g->set_wecom_api_url(config.global.wecom_api_url);
  g->set_http_proxy(MaskUrlPassword(config.global.http_proxy));
  g->set_proxy_from_environment(config.global.proxy_from_environment);
  g->set_time_zone(config.global.time_zone);
  g->set_language(config.global.language);
  g->set_wechat_api_corp_id(config.global.wechat_api_corp_id);
  if (!config.global.wechat_api_secret.empty()) g->set_wechat_api_secret(kSecretMask);
  g->set_wechat_api_secret_file(config.global.wechat_api_secret_file);
  if (config.route) RouteToProto(*config.route, out.mutable_route());
  for (const auto& r : config.receivers) *out.add_receivers() = ToProto(r);
  return out;
}

absl::StatusOr<config::ReceiverConfig> FromProto(const v1::Receiver& in,
                                                 const config::ReceiverConfig* current,
                                                 const config::GlobalConfig& global,
                                                 const std::string& base_dir) {
  config::ReceiverConfig out;
  out.name = in.name();
  for (int i = 0; i < in.wecom_configs_size(); ++i) {
    const auto& e = in.wecom_configs(i);
    const std::string field = absl::StrCat("wecom_configs[", i, "]");
    config::WeComAppConfig c;
    c.corp_id = e.corp_id().empty() ? global.wechat_api_corp_id : e.corp_id();
    c.agent_id = e.agent_id();
    const config::WeComAppConfig* old =
        current != nullptr && i < static_cast<int>(current->wecom_configs.size())
            ? &current->wecom_configs[i]
            : nullptr;
    if (!KeepsSecret(e.api_secret())) {
      c.api_secret = e.api_secret();
    } else if (!e.api_secret_file().empty() &&
               (old == nullptr || e.api_secret_file() != old->api_secret_file)) {
      c.api_secret_file = e.api_secret_file();
      auto secret = ReadSecret(c.api_secret_file, base_dir, field + ".api_secret_file");
      if (!secret.ok()) return secret.status();
      c.api_secret = *std::move(secret);
    } else if (old != nullptr) {
      c.api_secret = old->api_secret;
      c.api_secret_file = old->api_secret_file;
    } else if (!global.wechat_api_secret.empty()) {
      c.api_secret = global.wechat_api_secret;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".api_secret: is required (or api_secret_file, global.wechat_api_secret)"));
    }
    c.to_user.assign(e.to_user().begin(), e.to_user().end());
    c.to_party.assign(e.to_party().begin(), e.to_party().end());
    c.to_tag.assign(e.to_tag().begin(), e.to_tag().end());
    auto type = ParseType(e.message_type(), field);
    if (!type.ok()) return type.status();
    c.message_type = *type;
    c.send_resolved = e.send_resolved();
    c.enabled = e.enabled();
    c.api_url = e.api_url().empty() ? global.wecom_api_url : config::WithTrailingSlash(e.api_url());
    auto proxy_url = ProxyUrl(e.proxy_url(), old != nullptr ? old->proxy_url : "", global, field);
    if (!proxy_url.ok()) return proxy_url.status();
    c.proxy_url = *std::move(proxy_url);
    c.proxy_from_environment = e.has_proxy_from_environment() ? e.proxy_from_environment()
                               : old != nullptr               ? old->proxy_from_environment
                                                              : global.proxy_from_environment;
    if (e.account_limit() < 0) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".account_limit: must be >= 0"));
    }
    c.account_limit = e.account_limit();
    out.wecom_configs.push_back(std::move(c));
  }
  for (int i = 0; i < in.wecom_robot_configs_size(); ++i) {
    const auto& e = in.wecom_robot_configs(i);
    const std::string field = absl::StrCat("wecom_robot_configs[", i, "]");
    config::WeComRobotConfig c;
    const config::WeComRobotConfig* old =
        current != nullptr && i < static_cast<int>(current->robot_configs.size())
            ? &current->robot_configs[i]
            : nullptr;
    if (!KeepsSecret(e.webhook_key())) {
      c.webhook_key = e.webhook_key();
    } else if (!e.webhook_key_file().empty() &&
               (old == nullptr || e.webhook_key_file() != old->webhook_key_file)) {
      c.webhook_key_file = e.webhook_key_file();
      auto key = ReadSecret(c.webhook_key_file, base_dir, field + ".webhook_key_file");
      if (!key.ok()) return key.status();
      c.webhook_key = *std::move(key);
    } else if (old != nullptr) {
      c.webhook_key = old->webhook_key;
      c.webhook_key_file = old->webhook_key_file;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".webhook_key: is required (or webhook_key_file)"));
    }
    c.mentioned_list.assign(e.mentioned_list().begin(), e.mentioned_list().end());
    c.mentioned_mobile_list.assign(e.mentioned_mobile_list().begin(),
                                   e.mentioned_mobile_list().end());
    auto type = ParseType(e.message_type(), field);
    if (!type.ok()) return type.status();
    c.message_type = *type;
    c.send_resolved = e.send_resolved();
    c.enabled = e.enabled();
    c.api_url = e.api_url().empty() ? global.wecom_api_url : config::WithTrailingSlash(e.api_url());
    auto proxy_url = ProxyUrl(e.proxy_url(), old != nullptr ? old->proxy_url : "", global, field);
    if (!proxy_url.ok()) return proxy_url.status();
    c.proxy_url = *std::move(proxy_url);
    c.proxy_from_environment = global.proxy_from_environment;
    out.robot_configs.push_back(std::move(c));
  }
  return out;
}

v1::DestinationResult ToProto(const std::string& receiver, const delivery::DestinationResult& r) {
  v1::DestinationResult out;
  out.set_receiver(receiver);
  out.set_integration(r.integration);
  out.set_enabled(r.enabled);
  out.set_attempted(r.attempted);
  out.set_ok(r.attempted && r.status.ok() && r.report.invalid.empty());
  out.set_code(absl::StatusCodeToString(r.status.code()));
  out.set_error(std::string(r.status.message()));
  for (const auto& call : r.report.requests) {
    auto* c = out.add_calls();
    c->set_http_status(call.http_status);
    c->set_errcode(static_cast<int32_t>(call.errcode));
    c->set_errmsg(call.errmsg);
    c->set_hint(call.classification.action);
    c->set_result(std::string(wecom::ResultClassName(call.result_class())));
    if (!call.transport_status.ok()) {
      c->set_transport_error(std::string(call.transport_status.message()));
    }
    c->set_attempts(call.attempts);
  }
  auto* inv = out.mutable_invalid();
  for (const auto& u : r.report.invalid.users) inv->add_users(u);
  for (const auto& u : r.report.invalid.parties) inv->add_parties(u);
  for (const auto& u : r.report.invalid.tags) inv->add_tags(u);
  for (const auto& u : r.report.invalid.unlicensed_users) inv->add_unlicensed_users(u);
  return out;
}

}  // namespace wecom_notify::admin
