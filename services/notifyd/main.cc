// notifyd: receives alerts over gRPC (from webhook-shim or platform services), stores them and
// serves them back; exports Prometheus metrics. Wiring only; the logic lives in libs/.

#include <csignal>
#include <pthread.h>

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "absl/strings/ascii.h"
#include "libs/cli/cli.h"
#include "libs/common/clock.h"
#include "libs/config/config.h"
#include "libs/config/duration.h"
#include "libs/logging/logging.h"
#include "libs/notify_server/notify_server.h"

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
  std::string config_watch_interval = "10s";
  wecom_notify::notify_server::NotifyServerOptions options;

  po::options_description flags("Flags");
  flags.add_options()
      ("config.file", po::value(&config_file),
       "notifyd configuration file (YAML: global, route, receivers). Without it alerts are "
       "stored but not delivered. SIGHUP, POST /-/reload and a change of its content reload it.")
      ("config.watch-interval", po::value(&config_watch_interval)
           ->default_value(config_watch_interval),
       "How often --config.file's content is checked for a change, which is then reloaded "
       "(content is compared, so Kubernetes ConfigMap updates are seen). 0 disables.")
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
       "otherwise.");
  wecom_notify::cli::AddLogFlags(flags, log_flags);
  if (int code = wecom_notify::cli::ParseCommandLine(
          argc, argv, "Usage: notifyd [flags]\n\nReceives alerts over gRPC and delivers them to WeCom.",
          flags, log_flags);
      code >= 0) {
    return code;
  }

  if (auto interval = wecom_notify::config::ParseDuration(config_watch_interval);
      !interval.ok()) {
    std::cerr << "notifyd: --config.watch-interval: " << interval.status().message() << std::endl;
    return 2;
  } else {
    options.config_watch_interval = *interval;
  }
  if (!config_file.empty()) {
    auto config = wecom_notify::config::LoadConfigFile(config_file);
    if (!config.ok()) {
      Error("cannot load configuration", {{"err", config.status().message()}});
      return 1;
    }
    options.config = *std::move(config);
    options.config_file = config_file;
  }
  if (!admin_token_file.empty()) {
    std::ifstream in(admin_token_file);
    std::stringstream text;
    if (in) text << in.rdbuf();
    options.admin_token = std::string(absl::StripAsciiWhitespace(text.str()));
    if (!in || options.admin_token.empty()) {
      Error("admin.token-file: cannot read a token", {{"file", admin_token_file}});
      return 1;
    }
  }
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
  int signal = 0;
  while (sigwait(&stop_signals, &signal) == 0 && signal == SIGHUP) {
    // SIGHUP: reload the configuration file; a bad one leaves the running one in place (the
    // outcome is logged and in the reload metrics).
    (void)(*server)->ReloadConfigFile("SIGHUP");
  }
  Info("shutting down", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
  (*server)->Shutdown(absl::Seconds(5));
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
