// notifyd: receives alerts over gRPC (from webhook-shim or platform services), stores them and
// serves them back; exports Prometheus metrics. Wiring only; the logic lives in libs/.

#include <csignal>
#include <filesystem>
#include <pthread.h>
#include <unistd.h>

#include <iostream>
#include <string>

#include "libs/cli/cli.h"
#include "libs/common/clock.h"
#include "libs/config/config.h"
#include "libs/logging/logging.h"
#include "libs/notify_server/notify_server.h"

namespace {

namespace po = boost::program_options;
using wecom_notify::logging::Error;
using wecom_notify::logging::Info;

int Run(int argc, char** argv) {
  wecom_notify::cli::LogFlags log_flags;
  std::string config_file;
  std::string storage_path = "data/";
  wecom_notify::notify_server::NotifyServerOptions options;

  po::options_description flags("Flags");
  flags.add_options()
      ("config.file", po::value(&config_file),
       "notifyd configuration file (YAML). Without it every setting has its default.")
      ("grpc.listen-address", po::value(&options.grpc_listen_address)
           ->default_value(options.grpc_listen_address),
       "Address of the gRPC API (Notify, health, reflection). Port 0 picks a free port.")
      ("web.listen-address", po::value(&options.web_listen_address)
           ->default_value(options.web_listen_address),
       "Address of the HTTP endpoints: /metrics, /-/healthy, /-/ready.")
      ("storage.path", po::value(&storage_path)->default_value(storage_path),
       "Directory for durable state; created if missing and checked writable at start.");
  wecom_notify::cli::AddLogFlags(flags, log_flags);
  if (int code = wecom_notify::cli::ParseCommandLine(
          argc, argv, "Usage: notifyd [flags]\n\nReceives alerts over gRPC and delivers them to WeCom.",
          flags, log_flags);
      code >= 0) {
    return code;
  }

  if (!config_file.empty()) {
    auto config = wecom_notify::config::LoadConfigFile(config_file);
    if (!config.ok()) {
      Error("cannot load configuration", {{"err", config.status().message()}});
      return 1;
    }
    options.service.resolve_timeout = config->global.resolve_timeout;
    options.service.webhook_resolve_timeout = config->global.webhook_resolve_timeout;
  }
  std::error_code ec;
  std::filesystem::create_directories(storage_path, ec);
  if (ec || access(storage_path.c_str(), W_OK) != 0) {
    Error("storage.path is not a writable directory", {{"path", storage_path}});
    return 1;
  }

  // Block the stop signals before any thread starts, so only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto server = wecom_notify::notify_server::NotifyServer::Start(
      options, wecom_notify::Clock::Real());
  if (!server.ok()) {
    Error("cannot start", {{"err", server.status().message()}});
    return 1;
  }
  int signal = 0;
  sigwait(&stop_signals, &signal);
  Info("shutting down", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
  (*server)->Shutdown(absl::Seconds(5));
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
