// File: libs/notify_server/notify_server.h
//
// NotifyServer is notifyd assembled: the gRPC server (Notify service, the standard health
// service, server reflection), the HTTP server (GET /metrics, /-/healthy, /-/ready,
// POST /-/reload), the alert
// store, and — when the configuration has a route — the dispatch engine delivering to WeCom.
// services/notifyd/main.cc only parses flags and runs it; tests start it in-process on port 0.
//
// Thread-safety: Start and Shutdown are called from one owner thread; ApplyConfig and
// ReloadConfigFile from any thread.

#ifndef WECOM_NOTIFY_LIBS_NOTIFY_SERVER_NOTIFY_SERVER_H_
#define WECOM_NOTIFY_LIBS_NOTIFY_SERVER_NOTIFY_SERVER_H_

#include <grpcpp/server.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "libs/admin/admin_service.h"
#include "libs/admin/config_store.h"
#include "libs/common/clock.h"
#include "libs/common/completion_queue_thread.h"
#include "libs/common/file_watcher.h"
#include "libs/config/config.h"
#include "libs/delivery/receivers.h"
#include "libs/dispatch/dispatch_loop.h"
#include "libs/dispatch/pipeline.h"
#include "libs/http/server.h"
#include "libs/notify_server/dispatch_metrics.h"
#include "libs/notify_server/health_service.h"
#include "libs/notify_server/ingest_metrics.h"
#include "libs/notify_server/notify_service.h"
#include "libs/notify_server/readiness.h"
#include "libs/storage/group_committer.h"
#include "libs/storage/state_store.h"
#include "libs/storage/wal_checkpointer.h"
#include "libs/store/alert_store.h"

namespace prometheus {
class Registry;
}

namespace wecom_notify::notify_server {

struct NotifyServerOptions {
  std::string grpc_listen_address = "127.0.0.1:9097";
  std::string web_listen_address = "127.0.0.1:9098";
  config::Config config;
  // The file `config` was read from: the admin API writes its changes back to it. Empty: the
  // admin API can read but not change the configuration.
  std::string config_file;
  // How often config_file's content is compared with the running one; a change is reloaded
  // as SIGHUP would (a bad one once, then not until it changes again). Zero: not watched.
  absl::Duration config_watch_interval = absl::ZeroDuration();
  // Bearer token of the admin API (wecom_notify.v1.Admin). Empty: the admin API is open on a
  // loopback grpc_listen_address and refused on any other.
  std::string admin_token;
  // The file admin_token was read from (empty: none): its content is compared every
  // config_watch_interval, and a changed token is the one required from then on.
  std::string admin_token_file;
  // How long the token a change replaced is still accepted (0: refused at once).
  absl::Duration admin_token_rotation_grace = absl::Minutes(5);
  // Directory of the durable state (SQLite). Empty: memory only — alerts and the notification
  // log are lost on restart (tests, or throw-away runs).
  std::string storage_path;
  // Threads delivering notifications (each flush of a group runs on one).
  int dispatch_workers = 4;
  // How long a resolved alert is kept (listed, stored) after it resolved.
  absl::Duration resolved_retention = absl::Hours(1);
  // How often resolved alerts and expired notification-log entries are pruned.
  absl::Duration maintenance_interval = absl::Minutes(1);
  // While the durable store is failing writes (notifyd NOT ready), how often a probe write
  // checks whether it recovered.
  absl::Duration storage_probe_interval = absl::Seconds(5);
  // PEM file of CAs trusted for WeCom's HTTPS (and a TLS-inspecting proxy); empty = the system
  // bundle. Used only when Start() builds the transport itself.
  std::string wecom_ca_file;
};

class NotifyServer {
 public:
  // Start()
  //
  // Opens the durable state and restores it (alerts go back into their groups — due ones
  // flush at once — and the notification log suppresses what was already delivered), then binds
  // both listeners and starts serving. `transport` carries WeCom requests (nullptr: the libcurl
  // transport); `state` is the durable store (nullptr: the SQLite store in
  // options.storage_path, if set). Errors: Unavailable when an address cannot be bound or the state cannot be
  // opened, InvalidArgument when an address is malformed or the configuration cannot be applied,
  // DataLoss when the stored state is corrupt. `clock` must outlive the server.
  static absl::StatusOr<std::unique_ptr<NotifyServer>> Start(
      const NotifyServerOptions& options, Clock& clock,
      std::unique_ptr<wecom::HttpTransport> transport = nullptr,
      std::unique_ptr<storage::StateStore> state = nullptr);
  ~NotifyServer();

  // Applies a new configuration at once: receivers (credentials, recipients, enabled flags)
  // for the next send, the route tree by regrouping held alerts. On error nothing changes.
  // Every call sets the reload metrics (wecom_notify_config_last_reload_*). The admin API's view
  // of the configuration follows. Thread-safe (serialized with admin API changes).
  absl::Status ApplyConfig(const config::Config& config);

  // Records a configuration reload that failed before ApplyConfig (e.g. the file did not
  // parse), or any other reload outcome, in the reload metrics.
  void RecordConfigReload(const absl::Status& status);

  // OK, or Unavailable naming what keeps notifyd from taking alerts (a failing durable store).
  // The gRPC health status and GET /-/ready report the same.
  absl::Status CheckReady() const { return readiness_.Check(); }
  // ReloadConfigFile()
  //
  // Re-reads options.config_file and applies it: SIGHUP, POST /-/reload (notifyd's web port,
  // and webhook-shim's through the Admin API's ReloadConfig) and the file watcher all come here.
  // Logs the outcome naming `trigger` and records it in the reload metrics. A file that cannot
  // be read, parsed or applied changes nothing. Answers the configuration version now running.
  // Errors: FailedPrecondition without a config file, else the reader's / parser's / apply
  // error. Thread-safe; reloads are serialized, so the last file read is the one applied.
  absl::StatusOr<std::string> ReloadConfigFile(absl::string_view trigger);

  // Stops taking requests: health turns NOT_SERVING, in-flight RPCs get `grace` to finish, the
  // dispatch loop finishes running flushes, then both servers stop. Idempotent.
  void Shutdown(absl::Duration grace = absl::Seconds(5));

  int grpc_port() const { return grpc_port_; }
  int web_port() const { return web_server_->port(); }
  store::AlertStore& store() { return store_; }
  // The Notify service's handlers, for callers in the same process (LocalNotifyBackend).
  NotifyService& service() { return *service_; }
  prometheus::Registry& registry() { return *registry_; }
  const dispatch::Pipeline& pipeline() const { return *pipeline_; }

 private:
  NotifyServer(Clock& clock, std::unique_ptr<wecom::HttpTransport> transport,
               store::Annotations annotations);
  absl::Status Restore(const NotifyServerOptions& options);
  absl::Status ApplyConfigNow(const config::Config& config);
  absl::Status ApplyAndRecord(const config::Config& config);
  DispatchSnapshot DispatchMetricsSnapshot() const;
  void Maintain(const NotifyServerOptions& options);

  Clock& clock_;

  std::shared_ptr<prometheus::Registry> registry_;
  IngestMetrics ingest_metrics_;
  std::shared_ptr<DispatchMetrics> dispatch_metrics_;
  // Reports readiness_ (a late "ready again" never overrides shutting down: HealthService
  // ignores it after its Shutdown).
  HealthService health_;
  Readiness readiness_;
  store::AlertStore store_;
  std::unique_ptr<storage::StateStore> state_;
  std::unique_ptr<storage::GroupCommitter> committer_;
  // The WAL checkpointer of state_ when notifyd opened it itself (for metrics); owned by state_.
  storage::WalCheckpointer* checkpointer_ = nullptr;
  std::unique_ptr<delivery::Delivery> delivery_;
  std::unique_ptr<dispatch::Pipeline> pipeline_;
  std::unique_ptr<dispatch::DispatchLoop> loop_;
  std::unique_ptr<NotifyService> service_;
  std::string config_file_;
  absl::Mutex reload_mu_;  // serializes ReloadConfigFile
  std::unique_ptr<admin::ConfigStore> config_store_;
  std::unique_ptr<admin::AdminService> admin_service_;
  std::unique_ptr<FileWatcher> config_watcher_;
  std::unique_ptr<FileWatcher> admin_token_watcher_;
  std::unique_ptr<grpc::Server> grpc_server_;
  // Runs the queue of the Notify service's calls (NotifyService::Serve).
  std::unique_ptr<CompletionQueueThread> notify_completions_;
  std::unique_ptr<http::Server> web_server_;
  int grpc_port_ = 0;
  bool shut_down_ = false;
  absl::Mutex maintenance_mu_;
  bool stop_maintenance_ ABSL_GUARDED_BY(maintenance_mu_) = false;
  std::thread maintenance_;
};

}  // namespace wecom_notify::notify_server

#endif  // WECOM_NOTIFY_LIBS_NOTIFY_SERVER_NOTIFY_SERVER_H_
