#include "libs/notify_server/notify_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <prometheus/registry.h>
#include <pthread.h>

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "libs/alert/label_names.h"
#include "libs/common/completion_queue_thread.h"
#include "libs/logging/logging.h"
#include "libs/metrics/metrics_endpoint.h"
#include "libs/storage/sqlite_state_store.h"
#include "libs/wecom/curl_http_transport.h"

namespace wecom_notify::notify_server {
namespace {

// A webhook body may be up to the shim's 16 MiB limit; its protobuf is smaller, never larger.
constexpr int kMaxMessageBytes = 64 << 20;

// The readiness condition fed by the durable store's writes and probes.
constexpr char kStorageCondition[] = "storage";

}  // namespace

NotifyServer::NotifyServer(Clock& clock, std::unique_ptr<wecom::HttpTransport> transport,
                           store::Annotations annotations)
    : clock_(clock),
      registry_(std::make_shared<prometheus::Registry>()),
      ingest_metrics_(*registry_),
      dispatch_metrics_(std::make_shared<DispatchMetrics>(
          *registry_, [this] { return DispatchMetricsSnapshot(); })),
      readiness_([this](bool ready) { health_.SetServing(ready); }),
      store_(annotations),
      delivery_(std::make_unique<delivery::Delivery>(clock, std::move(transport), registry_.get())),
      pipeline_(nullptr) {}

NotifyServer::~NotifyServer() { Shutdown(absl::ZeroDuration()); }

absl::StatusOr<std::unique_ptr<NotifyServer>> NotifyServer::Start(
    const NotifyServerOptions& options, Clock& clock,
    std::unique_ptr<wecom::HttpTransport> transport, std::unique_ptr<storage::StateStore> state) {
  if (transport == nullptr) {
    wecom::CurlHttpTransport::Options curl_options;
    curl_options.ca_bundle_path = options.wecom_ca_file;
    auto curl = wecom::CurlHttpTransport::Create(curl_options);
    if (!curl.ok()) {
      return absl::Status(curl.status().code(),
                          absl::StrCat("wecom.ca-file: ", curl.status().message()));
    }
    transport = *std::move(curl);
  }
  storage::WalCheckpointer* checkpointer = nullptr;
  if (state == nullptr && !options.storage_path.empty()) {
    auto sqlite = storage::SqliteStateStore::Open(options.storage_path);
    if (!sqlite.ok()) return sqlite.status();
    checkpointer = (*sqlite)->checkpointer();
    state = *std::move(sqlite);
  }
  // Held alerts leave their annotations to a durable store that serves them back
  // (docs/performance.md: most of an alert's memory beyond its labels).
  const store::Annotations annotations = state != nullptr && state->ServesAnnotations()
                                             ? store::Annotations::kDropped
                                             : store::Annotations::kHeld;
  std::unique_ptr<NotifyServer> server(new NotifyServer(clock, std::move(transport), annotations));
  server->checkpointer_ = checkpointer;
  if (state != nullptr) {
    server->state_ = std::move(state);
    storage::GroupCommitter::Options committer_options;
    committer_options.on_batch_written = [raw = server.get()](const absl::Status& status) {
      raw->readiness_.Set(kStorageCondition, status);
    };
    server->committer_ =
        std::make_unique<storage::GroupCommitter>(*server->state_, committer_options);
  }
  // Held versions carry no annotations: they are read from where they are kept.
  alert::AnnotationSource* const annotation_source =
      annotations == store::Annotations::kDropped
          ? static_cast<alert::AnnotationSource*>(server->state_.get())
          : &server->store_;
  server->pipeline_ =
      std::make_unique<dispatch::Pipeline>(clock, server->state_.get(), annotation_source);
  server->pipeline_->SetLatencyObserver(
      [metrics = server->dispatch_metrics_](const std::string& kind, absl::Duration took) {
        metrics->ObserveLatency(kind, took);
      });
  NotifyServiceOptions service_options;
  service_options.resolve_timeout = options.config.global.resolve_timeout;
  service_options.webhook_resolve_timeout = options.config.global.webhook_resolve_timeout;
  if (annotations == store::Annotations::kDropped) {
    service_options.annotations_source = server->state_.get();
  }
  if (options.config.route) {
    auto tree = dispatch::Route::BuildTree(*options.config.route);
    if (!tree.ok()) return tree.status();
    auto receivers = server->delivery_->BuildReceivers(options.config);
    if (!receivers.ok()) return receivers.status();
    server->pipeline_->SetReceivers(*std::move(receivers));
    server->loop_ = std::make_unique<dispatch::DispatchLoop>(clock, *std::move(tree),
                                                             *server->pipeline_,
                                                             options.dispatch_workers);
  }
  server->service_ = std::make_unique<NotifyService>(server->store_, clock,
                                                     server->ingest_metrics_, service_options,
                                                     server->committer_.get(),
                                                     server->loop_.get());
  if (auto restored = server->Restore(options); !restored.ok()) return restored;
  server->config_file_ = options.config_file;
  server->config_store_ = std::make_unique<admin::ConfigStore>(
      options.config, options.config_file,
      [raw = server.get()](const config::Config& c) { return raw->ApplyAndRecord(c); });
  admin::AdminOptions admin_options;
  admin_options.token = options.admin_token;
  admin_options.token_rotation_grace = options.admin_token_rotation_grace;
  admin_options.require_token = !admin::IsLoopbackAddress(options.grpc_listen_address);
  admin_options.alert_count = [raw = server.get()] { return static_cast<int64_t>(raw->store_.size()); };
  admin_options.reload = [raw = server.get()] { return raw->ReloadConfigFile("admin_api"); };
  server->admin_service_ = std::make_unique<admin::AdminService>(
      *server->config_store_, *server->delivery_, clock, std::move(admin_options));
  server->dispatch_metrics_->ConfigReloaded(true, clock.Now(), /*initial=*/true);
  server->maintenance_ = std::thread([raw = server.get(), options] { raw->Maintain(options); });
  pthread_setname_np(server->maintenance_.native_handle(), "maintenance");

  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.grpc_listen_address, grpc::InsecureServerCredentials(),
                           &server->grpc_port_);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.RegisterService(server->service_->grpc_service());
  builder.RegisterService(server->admin_service_.get());
  builder.RegisterService(&server->health_);
  std::unique_ptr<grpc::ServerCompletionQueue> notify_queue = builder.AddCompletionQueue();
  grpc::ServerCompletionQueue* const notify_cq = notify_queue.get();
  server->grpc_server_ = builder.BuildAndStart();
  if (!server->grpc_server_ || server->grpc_port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("grpc.listen-address: cannot listen on ", options.grpc_listen_address));
  }
  server->notify_completions_ =
      std::make_unique<CompletionQueueThread>("notify-server", std::move(notify_queue));
  server->service_->Serve(notify_cq);
  server->health_.SetServing(server->readiness_.Check().ok());

  http::Router router;
  std::vector<std::shared_ptr<const prometheus::Collectable>> collectables = {
      server->dispatch_metrics_};
  if (auto ages = server->delivery_->token_age_collector()) collectables.push_back(ages);
  metrics::AddMetricsEndpoint(router, server->registry_, "notifyd", std::move(collectables));
  router.Add("GET", "/-/healthy", [](const http::Request&, http::Responder respond) {
    std::move(respond)(http::Response::Text(200, "OK"));
  });
  router.Add("GET", "/-/ready", [raw = server.get()](const http::Request&, http::Responder respond) {
    const absl::Status ready = raw->readiness_.Check();
    std::move(respond)(ready.ok() ? http::Response::Text(200, "OK")
                                  : http::Response::Text(503, std::string(ready.message())));
  });
  router.Add("POST", "/-/reload", [raw = server.get()](const http::Request&,
                                                        http::Responder respond) {
    // As Alertmanager answers: 200 empty, or 500 with the reason (the old configuration
    // keeps serving).
    auto reloaded = raw->ReloadConfigFile("http");
    std::move(respond)(reloaded.ok()
                           ? http::Response::Text(200, "")
                           : http::Response::Text(500, absl::StrCat("failed to reload config: ",
                                                                    reloaded.status().message(),
                                                                    "\n")));
  });
  http::ServerOptions web;
  web.listen_address = options.web_listen_address;
  auto web_server = http::Server::Start(web, std::move(router));
  if (!web_server.ok()) {
    return absl::Status(web_server.status().code(),
                        absl::StrCat("web.listen-address: ", web_server.status().message()));
  }
  server->web_server_ = *std::move(web_server);
  if (!options.config_file.empty() && options.config_watch_interval > absl::ZeroDuration()) {
    // The file and the secret files it names: a rotated secret is a change too.
    server->config_watcher_ = std::make_unique<FileWatcher>(
        clock, options.config_watch_interval, options.config_file,
        config::WatchedContent(server->config_store_->Text(), server->config_store_->Get().config),
        [path = options.config_file] { return config::WatchedContent(path); },
        [raw = server.get()] { return raw->ReloadConfigFile("file_change").status(); });
    server->config_watcher_->Start();
  }
  if (!options.admin_token.empty() && !options.admin_token_file.empty() &&
      options.config_watch_interval > absl::ZeroDuration()) {
    server->admin_token_watcher_ =
        WatchSecretFile(clock, options.config_watch_interval, options.admin_token_file,
                        [service = server->admin_service_.get()](std::string token) {
                          service->SetToken(std::move(token));
                        });
  }
  logging::Info("notifyd listening",
                {{"grpc", absl::StrCat(options.grpc_listen_address, " (port ",
                                       server->grpc_port_, ")")},
                 {"web", absl::StrCat(options.web_listen_address, " (port ",
                                      server->web_server_->port(), ")")}});
  return server;
}

void NotifyServer::Shutdown(absl::Duration grace) {
  if (shut_down_) return;
  shut_down_ = true;
  if (config_watcher_) config_watcher_->Stop();
  if (admin_token_watcher_) admin_token_watcher_->Stop();
  if (grpc_server_) {
    health_.Shutdown();
    service_->EndStreams();
    grpc_server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(grace));
  }
  if (web_server_) web_server_->Stop();
  if (loop_) loop_->Stop();
  if (committer_) committer_->Shutdown();
  // Last: a Notify answer may be sent from the committer's thread until it stopped.
  notify_completions_.reset();
  {
    absl::MutexLock lock(&maintenance_mu_);
    stop_maintenance_ = true;
  }
  if (maintenance_.joinable()) maintenance_.join();
}

absl::Status NotifyServer::Restore(const NotifyServerOptions& options) {
  if (state_ == nullptr) return absl::OkStatus();
  const absl::Time now = clock_.Now();
  auto log = state_->LoadNotificationLog(now);
  if (!log.ok()) return log.status();
  const std::size_t log_entries = log->size();
  pipeline_->LoadNotificationLog(*std::move(log));
  auto alerts = state_->LoadAlerts();
  if (!alerts.ok()) return alerts.status();
  const std::size_t alert_count = alerts->size();
  std::vector<store::SharedAlert> for_dispatch;
  store_.Put(*std::move(alerts), now, loop_ ? &for_dispatch : nullptr);
  if (loop_) loop_->Insert(std::move(for_dispatch));
  logging::Info("state restored", {{"path", options.storage_path},
                                   {"alerts", alert_count},
                                   {"notification_log_entries", log_entries}});
  return absl::OkStatus();
}

void NotifyServer::Maintain(const NotifyServerOptions& options) {
  const absl::Duration resolved_retention = options.resolved_retention;
  absl::Time next_maintenance = absl::Now() + options.maintenance_interval;
  absl::MutexLock lock(&maintenance_mu_);
  while (!stop_maintenance_) {
    // Wake at least every probe interval: a failing store is probed often, so readiness comes
    // back soon after the store does — nothing else would write while probes keep traffic away.
    const absl::Time wake =
        state_ == nullptr
            ? next_maintenance
            : std::min(next_maintenance, absl::Now() + options.storage_probe_interval);
    maintenance_mu_.AwaitWithDeadline(absl::Condition(&stop_maintenance_), wake);
    if (stop_maintenance_) break;
    if (state_ != nullptr && !readiness_.IsMet(kStorageCondition)) {
      readiness_.Set(kStorageCondition, state_->CheckWritable());
    }
    if (absl::Now() < next_maintenance) continue;
    next_maintenance = absl::Now() + options.maintenance_interval;
    const absl::Time now = clock_.Now();
    const std::vector<uint64_t> resolved = store_.CollectResolved(now - resolved_retention);
    pipeline_->CollectExpired(now);
    if (state_ != nullptr) {
      const absl::Status pruned = state_->Prune(now, now - resolved_retention, resolved);
      if (!pruned.ok()) logging::Warn("pruning the durable state failed", {{"err", pruned.message()}});
      readiness_.Set(kStorageCondition, pruned);
    }
  }
}

DispatchSnapshot NotifyServer::DispatchMetricsSnapshot() const {
  DispatchSnapshot snapshot;
  if (pipeline_) snapshot.pipeline = pipeline_->stats();
  const store::AlertStore::StateCounts counts = store_.CountByState(clock_.Now());
  snapshot.alerts_firing = counts.firing;
  snapshot.alerts_resolved = counts.resolved;
  if (loop_) {
    snapshot.aggregation_groups = loop_->group_count();
    snapshot.flushes_in_flight = loop_->flushes_in_flight();
  }
  if (committer_) snapshot.storage = committer_->GetStats();
  if (checkpointer_ != nullptr) snapshot.checkpoints = checkpointer_->GetStats();
  snapshot.label_name_lists = alert::LabelNames::size();
  snapshot.ready = readiness_.Check().ok();
  return snapshot;
}

void NotifyServer::RecordConfigReload(const absl::Status& status) {
  dispatch_metrics_->ConfigReloaded(status.ok(), clock_.Now());
}

absl::StatusOr<std::string> NotifyServer::ReloadConfigFile(absl::string_view trigger) {
  absl::MutexLock lock(&reload_mu_);
  absl::Status status;
  std::string text;
  if (config_file_.empty()) {
    status =
        absl::FailedPreconditionError("notifyd runs without --config.file: nothing to reload");
    RecordConfigReload(status);
  } else if (auto config = config::LoadConfigFile(config_file_, &text); !config.ok()) {
    status = config.status();
    RecordConfigReload(status);
  } else {
    status = config_store_->Replace(*config, &text);  // records the outcome (ApplyAndRecord)
  }
  if (!status.ok()) {
    logging::Error("configuration reload failed; keeping the running configuration",
                   {{"trigger", trigger}, {"config", config_file_}, {"err", status.message()}});
    return status;
  }
  const std::string version = config_store_->Get().version;
  logging::Info("configuration reloaded",
                {{"trigger", trigger}, {"config", config_file_}, {"version", version}});
  return version;
}

absl::Status NotifyServer::ApplyConfig(const config::Config& config) {
  // Through the admin API's store (once started), which serializes with its changes and keeps
  // its view current.
  if (config_store_) return config_store_->Replace(config);
  return ApplyAndRecord(config);
}

absl::Status NotifyServer::ApplyAndRecord(const config::Config& config) {
  absl::Status status = ApplyConfigNow(config);
  RecordConfigReload(status);
  return status;
}

absl::Status NotifyServer::ApplyConfigNow(const config::Config& config) {
  if (!config.route) {
    return absl::FailedPreconditionError(
        "the new configuration has no route; removing routing needs a restart");
  }
  auto tree = dispatch::Route::BuildTree(*config.route);
  if (!tree.ok()) return tree.status();
  auto receivers = delivery_->BuildReceivers(config);
  if (!receivers.ok()) return receivers.status();
  if (loop_ == nullptr) {
    return absl::FailedPreconditionError(
        "notifyd started without a route; adding routing needs a restart");
  }
  pipeline_->SetReceivers(*std::move(receivers));
  loop_->Reload(*std::move(tree));
  return absl::OkStatus();
}

}  // namespace wecom_notify::notify_server
