// notifyd: receives alerts over gRPC (from webhook-shim or platform services) — and, with
// --alerts-api.listen-address, over Alertmanager's HTTP API itself — stores them, delivers
// them to WeCom and exports Prometheus metrics. Wiring only; the logic lives in libs/.

#include <pthread.h>

#include <csignal>
#include <iostream>
#include <memory>
#include <string>

#include "libs/cli/cli.h"
#include "libs/common/clock.h"
#include "libs/config/config.h"
#include "libs/config/duration.h"
#include "libs/http_flags/auth_flags.h"
#include "libs/http_flags/http_flags.h"
#include "libs/logging/logging.h"
#include "libs/notify_server/local_notify_backend.h"
#include "libs/notify_server/notify_server.h"
#include "libs/shim/shim.h"

namespace {

namespace po = boost::program_options;
using wecom_notify::logging::Error;
using wecom_notify::logging::Info;

int Run(int argc, char** argv) {
  wecom_notify::cli::DisableMutexDeadlockDetection();
  wecom_notify::cli::LogFlags log_flags;
  std::string config_file;
  std::string storage_path = "data/";
  std::string admin_token_file;
  std::string admin_token_rotation_grace = "5m";
  std::string config_watch_interval = "10s";
  wecom_notify::notify_server::NotifyServerOptions options;
  wecom_notify::shim::ShimOptions alerts_api;
  alerts_api.web.listen_address.clear();

  po::options_description flags("Flags");
  // A paragraph per flag: clang-format would run them together.
  // clang-format off
  flags.add_options()
      ("config.file", po::value(&config_file),
       "notifyd configuration file (YAML: global, route, receivers). Without it alerts are "
       "stored but not delivered. SIGHUP, POST /-/reload and a change of its content reload it.")
      ("config.watch-interval", po::value(&config_watch_interval)
           ->default_value(config_watch_interval),
       "How often --config.file's content is checked for a change, which is then reloaded "
       "(content is compared, so Kubernetes ConfigMap updates are seen) — and the secret files "
       "it names, and the token and password files of the flags below, each applied at once "
       "when changed. 0 disables.")
      ("grpc.listen-address", po::value(&options.grpc_listen_address)
           ->default_value(options.grpc_listen_address),
       "Address of the gRPC API (Notify, health, reflection). Port 0 picks a free port.")
      ("web.listen-address", po::value(&options.web_listen_address)
           ->default_value(options.web_listen_address),
       "Address of the HTTP endpoints: /metrics, /-/healthy, /-/ready, POST /-/reload.")
      ("storage.path", po::value(&storage_path)->default_value(storage_path),
       "Directory of the durable state (SQLite: accepted alerts and the notification log); "
       "created if missing. A restart, even after kill -9, resumes from it.")
      ("wecom.ca-file", po::value(&options.wecom_ca_file),
       "PEM file of CA certificates trusted for WeCom's HTTPS (e.g. a TLS-inspecting egress "
       "proxy's CA). Default: the system CA bundle.")
      ("admin.token-file", po::value(&admin_token_file),
       "File holding the bearer token of the admin gRPC API (wecom_notify.v1.Admin, notifyctl). "
       "Without it the admin API is open when --grpc.listen-address is loopback and refused "
       "otherwise. Followed every --config.watch-interval.")
      ("admin.token-rotation-grace", po::value(&admin_token_rotation_grace)
           ->default_value(admin_token_rotation_grace),
       "How long the token a changed --admin.token-file replaced is still accepted, so that "
       "its clients (webhook-shim's --notify.admin-token-file, notifyctl) may see a rotated "
       "Secret at another time than notifyd. 0: refused at once.")
      ("alerts-api.listen-address", po::value(&alerts_api.web.listen_address),
       "Serve Alertmanager's HTTP API (POST /api/v2/alerts, POST /webhook, GET /api/v2/alerts, "
       "/-/ready, POST /-/reload, /metrics of the API) on this address from notifyd itself, as "
       "webhook-shim does but without the gRPC hop (one process, less CPU per request). "
       "Default: off.");
  // clang-format on
  wecom_notify::http_flags::ServerFlags alerts_api_flags("alerts-api", &alerts_api.web);
  alerts_api_flags.AddTo(flags);
  wecom_notify::http_flags::AuthFlags alerts_api_auth_flags(
      "alerts-api", "Followed every --config.watch-interval.", &alerts_api);
  alerts_api_auth_flags.AddTo(flags);
  wecom_notify::cli::AddLogFlags(flags, log_flags);
  if (int code = wecom_notify::cli::ParseCommandLine(
          argc, argv, "Usage: notifyd [flags]\n\nReceives alerts over gRPC and delivers them to WeCom.",
          flags, log_flags);
      code >= 0) {
    return code;
  }

  auto watch_interval = wecom_notify::config::ParseDurationFlag(
      "config.watch-interval", config_watch_interval, /*zero_allowed=*/true);
  auto admin_grace = wecom_notify::config::ParseDurationFlag(
      "admin.token-rotation-grace", admin_token_rotation_grace, /*zero_allowed=*/true);
  auto admin_token = wecom_notify::cli::ReadSecretFlag("admin.token-file", admin_token_file);
  for (const absl::Status& flag :
       {alerts_api_flags.Apply(), alerts_api_auth_flags.Apply(), watch_interval.status(),
        admin_grace.status(), admin_token.status()}) {
    if (!flag.ok()) {
      std::cerr << "notifyd: " << flag.message() << std::endl;
      return 2;
    }
  }
  options.config_watch_interval = *watch_interval;
  options.admin_token_rotation_grace = *admin_grace;
  options.admin_token = *std::move(admin_token);
  options.admin_token_file = admin_token_file;
  if (!config_file.empty()) {
    auto config = wecom_notify::config::LoadConfigFile(config_file);
    if (!config.ok()) {
      Error("cannot load configuration", {{"err", config.status().message()}});
      return 1;
    }
    options.config = *std::move(config);
    options.config_file = config_file;
  }
  alerts_api.credentials_watch_interval = options.config_watch_interval;
  options.storage_path = storage_path;

  // Block the stop signals before any thread starts, so only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto server = wecom_notify::notify_server::NotifyServer::Start(
      options, wecom_notify::Clock::Real());
  if (!server.ok()) {
    Error("cannot start", {{"err", server.status().message()}});
    return 1;
  }
  if (!options.config.route) {
    Info("no route configured: alerts are stored but not delivered", {{"config", config_file}});
  }
  std::unique_ptr<wecom_notify::shim::Shim> alerts_api_server;
  if (!alerts_api.web.listen_address.empty()) {
    wecom_notify::notify_server::ConnectAlertsApi(
        std::make_shared<wecom_notify::notify_server::LocalNotifyBackend>(**server), &alerts_api);
    // Its answers come from the group committer's thread, which every request waits on.
    alerts_api.web.answer_on_responding_thread = false;
    auto started = wecom_notify::shim::Shim::Start(alerts_api);
    if (!started.ok()) {
      Error("cannot start the alerts API", {{"err", started.status().message()}});
      (*server)->Shutdown(absl::Seconds(5));
      return 1;
    }
    alerts_api_server = *std::move(started);
    Info("alerts API listening", {{"address", alerts_api.web.listen_address},
                                  {"port", alerts_api_server->port()}});
  }
  int signal = 0;
  while (sigwait(&stop_signals, &signal) == 0 && signal == SIGHUP) {
    // SIGHUP: reload the configuration file; a bad one leaves the running one in place (the
    // outcome is logged and in the reload metrics).
    (void)(*server)->ReloadConfigFile("SIGHUP");
  }
  Info("shutting down", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
  // notifyd first: it answers what it accepted (the API's connections are still open), then
  // refuses; the API and its backend (which waits for a listing or reload still running on
  // its own thread) go before the server they call into is destroyed.
  (*server)->Shutdown(absl::Seconds(5));
  if (alerts_api_server) alerts_api_server->Stop();
  alerts_api_server.reset();
  alerts_api.backend.reset();
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
