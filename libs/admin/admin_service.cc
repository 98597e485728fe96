#include "libs/admin/admin_service.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/admin/convert.h"
#include "libs/alert/alert.h"
#include "libs/alert/validate.h"
#include "libs/common/grpc_status.h"
#include "libs/config/duration.h"
#include "libs/delivery/test_message.h"
#include "libs/dispatch/route.h"
#include "libs/logging/logging.h"
#include "libs/metrics/version.h"

namespace wecom_notify::admin {
namespace {

const config::ReceiverConfig* FindReceiver(const config::Config& config, const std::string& name) {
  for (const auto& r : config.receivers) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

int EnabledDestinations(const config::ReceiverConfig& r) {
  int n = 0;
  for (const auto& c : r.wecom_configs) n += c.enabled;
  for (const auto& c : r.robot_configs) n += c.enabled;
  return n;
}

grpc::Status NotFound(const std::string& name) {
  return grpc::Status(grpc::StatusCode::NOT_FOUND,
                      absl::StrCat("no receiver named \"", name, "\""));
}

void Fill(const alert::LabelSet& labels, google::protobuf::Map<std::string, std::string>* out) {
  for (const auto& l : labels) (*out)[std::string(l.name)] = std::string(l.value);
}

}  // namespace

bool IsLoopbackAddress(const std::string& address) {
  if (absl::StartsWith(address, "unix:")) return true;
  std::string host = address;
  if (absl::StartsWith(host, "ipv4:")) host = host.substr(5);
  if (absl::StartsWith(host, "ipv6:")) host = host.substr(5);
  if (!host.empty() && host[0] == '[') {
    const auto close = host.find(']');
    host = close == std::string::npos ? host.substr(1) : host.substr(1, close - 1);
  } else if (const auto colon = host.rfind(':'); colon != std::string::npos) {
    host = host.substr(0, colon);
  }
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

AdminService::AdminService(ConfigStore& store, delivery::Delivery& delivery, Clock& clock,
                           AdminOptions options)
    : store_(store),
      delivery_(delivery),
      clock_(clock),
      options_(std::move(options)),
      started_at_(clock.Now()),
      // A bearer token alone cannot be refused by Create (only a token with basic auth is).
      token_(*auth::Authenticator::Create(options_.token, "", ""), options_.token_rotation_grace) {}

void AdminService::SetToken(std::string token) {
  absl::MutexLock lock(&token_mu_);
  token_.Rotate(*auth::Authenticator::Create(token, "", ""), clock_.Now());
}

grpc::Status AdminService::Authorize(grpc::ServerContext* context) const {
  absl::ReaderMutexLock lock(&token_mu_);
  if (!token_.required()) {
    if (!options_.require_token) return grpc::Status::OK;
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "the admin API is disabled: notifyd listens on a non-loopback address "
                        "and has no --admin.token-file");
  }
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "missing \"authorization: Bearer <token>\" metadata");
  }
  if (!token_.Allows(absl::string_view(it->second.data(), it->second.size()), clock_)) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "wrong admin token");
  }
  return grpc::Status::OK;
}

grpc::Status AdminService::GetConfig(grpc::ServerContext* context, const v1::GetConfigRequest*,
                                     v1::GetConfigResponse* response) {
  if (auto s = Authorize(context); !s.ok()) return s;
  auto snap = store_.Get();
  *response->mutable_config() = ToProto(snap.config);
  response->set_config_file(snap.path);
  response->set_version(snap.version);
  return grpc::Status::OK;
}

grpc::Status AdminService::ApplyConfig(grpc::ServerContext* context,
                                       const v1::ApplyConfigRequest* request,
                                       v1::ApplyConfigResponse* response) {
  if (auto s = Authorize(context); !s.ok()) return s;
  auto snap = store_.ApplyYaml(request->yaml(), request->expected_version());
  if (!snap.ok()) return ToGrpcStatus(snap.status());
  logging::Info("configuration replaced through the admin API", {{"version", snap->version}});
  response->set_version(snap->version);
  return grpc::Status::OK;
}

grpc::Status AdminService::ReloadConfig(grpc::ServerContext* context,
                                        const v1::ReloadConfigRequest*,
                                        v1::ReloadConfigResponse* response) {
  if (auto s = Authorize(context); !s.ok()) return s;
  if (!options_.reload) {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "this server cannot reload a file");
  }
  auto version = options_.reload();
  if (!version.ok()) return ToGrpcStatus(version.status());
  response->set_version(*version);
  return grpc::Status::OK;
}

grpc::Status AdminService::ListReceivers(grpc::ServerContext* context,
                                         const v1::ListReceiversRequest*,
                                         v1::ListReceiversResponse* response) {
  if (auto s = Authorize(context); !s.ok()) return s;
  auto snap = store_.Get();
  for (const auto& r : snap.config.receivers) *response->add_receivers() = ToProto(r);
  response->set_version(snap.version);
  return grpc::Status::OK;
}

grpc::Status AdminService::GetReceiver(grpc::ServerContext* context,
                                       const v1::GetReceiverRequest* request,
                                       v1::Receiver* response) {
  if (auto s = Authorize(context); !s.ok()) return s;
  auto snap = store_.Get();
  const auto* r = FindReceiver(snap.config, request->name());
  if (r == nullptr) return NotFound(request->name());
  *response = ToProto(*r);
  return grpc::Status::OK;
}

grpc::Status AdminService::UpdateReceiver(grpc::ServerContext* context,
                                          const v1::UpdateReceiverRequest* request,
                                          v1::UpdateReceiverResponse* response) {
  if (auto s = Authorize(context); !s.ok()) return s;
  auto snap = store_.Get();
  const auto* current = FindReceiver(snap.config, request->receiver().name());
  if (current == nullptr) return NotFound(request->receiver().name());
  auto updated = FromProto(request->receiver(), current, snap.config.global,
                           config::ConfigDir(snap.path));
  if (!updated.ok()) return ToGrpcStatus(updated.status());
  auto next = store_.UpdateReceiver(*updated, request->expected_version());
  if (!next.ok()) return ToGrpcStatus(next.status());
  const auto* now = FindReceiver(next->config, request->receiver().name());
  if (now != nullptr) *response->mutable_receiver() = ToProto(*now);
  response->set_version(next->version);
  logging::Info("receiver updated through the admin API",
                {{"receiver", request->receiver().name()}, {"version", next->version}});
  return grpc::Status::OK;
}

grpc::Status AdminService::SendTestMessage(grpc::ServerContext* context,
                                           const v1::SendTestMessageRequest* request,
                                           v1::SendTestMessageResponse* response) {
  if (auto s = Authorize(context); !s.ok()) return s;
  auto snap = store_.Get();
  const std::string name =
      request->receiver().empty() ? request->settings().name() : request->receiver();
  const auto* current = FindReceiver(snap.config, name);
  config::ReceiverConfig receiver;
  if (request->has_settings()) {
    v1::Receiver settings = request->settings();
    settings.set_name(name);
    auto parsed = FromProto(settings, current, snap.config.global, config::ConfigDir(snap.path));
    if (!parsed.ok()) return ToGrpcStatus(parsed.status());
    receiver = *std::move(parsed);
  } else if (current != nullptr) {
    receiver = *current;
  } else {
    return NotFound(name);
  }
  if (request->index() > static_cast<int>(receiver.wecom_configs.size())) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("index ", request->index(), ": receiver \"", name,
                                     "\" has ", receiver.wecom_configs.size(), " wecom_configs"));
  }
  if (receiver.wecom_configs.empty() && receiver.robot_configs.empty()) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat("receiver \"", name, "\" has no WeCom destination"));
  }
  const bool zh = snap.config.global.language != "en";
  const std::string when =
      absl::FormatTime("%Y-%m-%d %H:%M:%S", clock_.Now(), absl::LocalTimeZone());
  const std::string text =
      !request->text().empty()
          ? request->text()
          : zh ? absl::StrCat("wecom-notify 测试消息：接收器 ", name, " 配置正确。(", when, ")")
               : absl::StrCat("wecom-notify test message: receiver ", name,
                              " is configured correctly. (", when, ")");
  bool all_ok = true;
  for (const auto& r : delivery::SendTestMessage(delivery_, receiver, text, request->index() - 1)) {
    auto* out = response->add_results();
    *out = ToProto(name, r);
    all_ok &= out->ok();
  }
  response->set_ok(all_ok && response->results_size() > 0);
  return grpc::Status::OK;
}

grpc::Status AdminService::TestRoute(grpc::ServerContext* context,
                                     const v1::TestRouteRequest* request,
                                     v1::TestRouteResponse* response) {
  if (auto s = Authorize(context); !s.ok()) return s;
  if (request->labels().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "labels: at least one label is needed");
  }
  auto snap = store_.Get();
  if (!snap.config.route) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "no route is configured: alerts are stored but delivered nowhere");
  }
  auto tree = dispatch::Route::BuildTree(*snap.config.route);
  if (!tree.ok()) return ToGrpcStatus(tree.status());

  const absl::Time now = clock_.Now();
  alert::Alert synthetic;
  for (const auto& [k, v] : request->labels()) synthetic.labels.Set(k, v);
  for (const auto& [k, v] : request->annotations()) synthetic.annotations.Set(k, v);
  synthetic.starts_at = now;
  synthetic.ends_at = now + absl::Hours(1);
  alert::Normalize(synthetic, now, snap.config.global.resolve_timeout);
  if (auto invalid = alert::ValidateAlert(synthetic)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat(invalid->field, ": ", invalid->reason));
  }
  const std::string labels_text = dispatch::LabelSetString(synthetic.labels);

  bool delivered = false;
  std::vector<std::string> dead_ends, failures;
  for (const dispatch::Route* route : (*tree)->Match(synthetic.labels)) {
    auto* m = response->add_routes();
    const auto& opt = route->options();
    const alert::LabelSet group_labels = route->GroupLabels(synthetic.labels);
    m->set_route_key(route->key());
    m->set_receiver(opt.receiver);
    m->set_group_key(route->GroupKey(group_labels));
    Fill(group_labels, m->mutable_group_labels());
    if (opt.group_by_all) m->add_group_by("...");
    for (const auto& g : opt.group_by) m->add_group_by(g);
    m->set_group_wait(config::DurationToString(opt.group_wait));
    m->set_group_interval(config::DurationToString(opt.group_interval));
    m->set_repeat_interval(config::DurationToString(opt.repeat_interval));
    const auto* receiver = FindReceiver(snap.config, opt.receiver);
    m->set_receiver_defined(receiver != nullptr);
    if (receiver == nullptr) {
      dead_ends.push_back(absl::StrCat(opt.receiver, " (not defined)"));
      continue;
    }
    const int enabled = EnabledDestinations(*receiver);
    m->set_enabled_destinations(enabled);
    if (enabled == 0) {
      dead_ends.push_back(absl::StrCat(opt.receiver, " (no enabled destination)"));
    }
    if (request->dry_run() || enabled == 0) {
      for (std::size_t i = 0; i < receiver->wecom_configs.size(); ++i) {
        auto* d = m->add_results();
        d->set_receiver(opt.receiver);
        d->set_integration(absl::StrCat("wecom_app/", i));
        d->set_enabled(receiver->wecom_configs[i].enabled);
      }
      for (std::size_t i = 0; i < receiver->robot_configs.size(); ++i) {
        auto* d = m->add_results();
        d->set_receiver(opt.receiver);
        d->set_integration(absl::StrCat("wecom_robot/", i));
        d->set_enabled(receiver->robot_configs[i].enabled);
      }
      delivered |= enabled > 0;
      continue;
    }
    dispatch::Notification n;
    n.receiver = opt.receiver;
    n.group_key = m->group_key();
    n.group_labels = group_labels;
    n.alerts = {synthetic};
    n.now = now;
    n.reason = nflog::Reason::kFirstNotification;
    n.dedup_id = absl::StrCat("route-test-", absl::ToUnixNanos(now));
    for (const auto& r : delivery::SendNotification(delivery_, snap.config.global, *receiver, n)) {
      auto* d = m->add_results();
      *d = ToProto(opt.receiver, r);
      if (!r.attempted) continue;
      if (d->ok()) {
        delivered = true;
      } else {
        failures.push_back(absl::StrCat(opt.receiver, "/", r.integration, ": ",
                                        r.status.ok() ? "invalid recipients" : r.status.message()));
        delivered |= r.status.ok();  // delivered to the valid recipients
      }
    }
  }
  response->set_delivered(delivered);
  std::string summary;
  if (response->routes_size() == 0) {
    summary = absl::StrCat(labels_text, " match no route");  // cannot happen: the root matches
  } else if (!delivered) {
    summary = absl::StrCat(labels_text, " match no enabled receiver: an alert with these labels is "
                           "not delivered");
    if (!dead_ends.empty()) absl::StrAppend(&summary, " — ", absl::StrJoin(dead_ends, ", "));
    if (!failures.empty()) absl::StrAppend(&summary, " — failed: ", absl::StrJoin(failures, "; "));
  } else {
    std::vector<std::string> receivers;
    for (const auto& r : response->routes()) receivers.push_back(r.receiver());
    summary = absl::StrCat(labels_text, request->dry_run() ? " would be delivered to " :
                           " delivered to ", absl::StrJoin(receivers, ", "));
    if (!dead_ends.empty()) absl::StrAppend(&summary, "; not to ", absl::StrJoin(dead_ends, ", "));
    if (!failures.empty()) absl::StrAppend(&summary, "; failed: ", absl::StrJoin(failures, "; "));
  }
  response->set_summary(summary);
  return grpc::Status::OK;
}

grpc::Status AdminService::GetStatus(grpc::ServerContext* context, const v1::GetStatusRequest*,
                                     v1::GetStatusResponse* response) {
  if (auto s = Authorize(context); !s.ok()) return s;
  auto snap = store_.Get();
  response->set_version(metrics::kVersion);
  response->set_config_file(snap.path);
  response->set_config_version(snap.version);
  response->set_routing(snap.config.route.has_value());
  response->set_receivers(static_cast<int>(snap.config.receivers.size()));
  int enabled = 0;
  for (const auto& r : snap.config.receivers) enabled += EnabledDestinations(r);
  response->set_enabled_destinations(enabled);
  if (options_.alert_count) response->set_alerts(options_.alert_count());
  response->set_started_at(absl::FormatTime(absl::RFC3339_sec, started_at_, absl::UTCTimeZone()));
  return grpc::Status::OK;
}

}  // namespace wecom_notify::admin
