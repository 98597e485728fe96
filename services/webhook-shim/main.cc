// webhook-shim: Alertmanager's HTTP wire formats in front of notifyd's gRPC API. Wiring only;
// the logic lives in libs/shim.

#include <pthread.h>

#include <csignal>
#include <iostream>
#include <string>

#include "libs/cli/cli.h"
#include "libs/config/duration.h"
#include "libs/http_flags/auth_flags.h"
#include "libs/http_flags/http_flags.h"
#include "libs/logging/logging.h"
#include "libs/shim/shim.h"

namespace {

namespace po = boost::program_options;
using wecom_notify::logging::Error;
using wecom_notify::logging::Info;

// Parses the duration flag --`flag` into `*out`; false, having printed the error, when invalid.
bool ParseDurationFlag(const std::string& flag, const std::string& text, absl::Duration* out,
                       bool zero_allowed = false) {
  auto duration = wecom_notify::config::ParseDurationFlag(flag, text, zero_allowed);
  if (!duration.ok()) {
    std::cerr << "webhook-shim: " << duration.status().message() << std::endl;
    return false;
  }
  *out = *duration;
  return true;
}

int Run(int argc, char** argv) {
  wecom_notify::cli::DisableMutexDeadlockDetection();
  wecom_notify::cli::LogFlags log_flags;
  wecom_notify::shim::ShimOptions options;
  options.web.listen_address = ":9099";
  std::string notify_timeout = "10s", auth_watch_interval = "10s";
  std::string notify_admin_token_file;

  po::options_description flags("Flags");
  // A paragraph per flag: clang-format would run them together.
  // clang-format off
  flags.add_options()
      ("web.listen-address", po::value(&options.web.listen_address)
           ->default_value(options.web.listen_address),
       "Address to serve the Alertmanager-compatible HTTP API on.")
      ("notify.address", po::value(&options.notify_address)->default_value(options.notify_address),
       "notifyd's gRPC address.")
      ("notify.timeout", po::value(&notify_timeout)->default_value(notify_timeout),
       "Deadline of one request to notifyd; beyond it the client gets 503 and retries.")
      ("notify.max-in-flight", po::value(&options.notify_max_in_flight)
           ->default_value(options.notify_max_in_flight),
       "Requests to notifyd outstanding at once; posts arriving meanwhile are coalesced into "
       "the next request. 0: one request per post.")
      ("notify.admin-token-file", po::value(&notify_admin_token_file),
       "File holding notifyd's admin token (its --admin.token-file), presented when POST "
       "/-/reload asks notifyd to reload its configuration.")
      ("web.auth.watch-interval", po::value(&auth_watch_interval)
           ->default_value(auth_watch_interval),
       "How often the token and password files (--web.auth.*, --notify.admin-token-file) are "
       "compared with the credentials in use; a changed file applies at once (a rotated "
       "Secret needs no restart). 0: never.");
  // clang-format on
  wecom_notify::http_flags::ServerFlags server_flags("web", &options.web);
  server_flags.AddTo(flags);
  wecom_notify::http_flags::AuthFlags auth_flags("web", "Followed every --web.auth.watch-interval.",
                                                 &options);
  auth_flags.AddTo(flags);
  wecom_notify::cli::AddLogFlags(flags, log_flags);
  if (int code = wecom_notify::cli::ParseCommandLine(
          argc, argv,
          "Usage: webhook-shim [flags]\n\nAccepts Alertmanager webhooks and Prometheus/amtool "
          "alert posts (POST /api/v2/alerts, POST /webhook) and forwards them to notifyd; POST "
          "/-/reload makes notifyd reload its configuration.",
          flags, log_flags);
      code >= 0) {
    return code;
  }
  for (const absl::Status& flag : {server_flags.Apply(), auth_flags.Apply()}) {
    if (!flag.ok()) {
      std::cerr << "webhook-shim: " << flag.message() << std::endl;
      return 2;
    }
  }
  if (!ParseDurationFlag("notify.timeout", notify_timeout, &options.notify_timeout) ||
      !ParseDurationFlag("web.auth.watch-interval", auth_watch_interval,
                         &options.credentials_watch_interval, /*zero_allowed=*/true)) {
    return 2;
  }
  auto admin_token =
      wecom_notify::cli::ReadSecretFlag("notify.admin-token-file", notify_admin_token_file);
  if (!admin_token.ok()) {
    std::cerr << "webhook-shim: " << admin_token.status().message() << std::endl;
    return 2;
  }
  options.notify_admin_token = *std::move(admin_token);
  options.notify_admin_token_file = notify_admin_token_file;

  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto shim = wecom_notify::shim::Shim::Start(options);
  if (!shim.ok()) {
    Error("cannot start", {{"err", shim.status().message()}});
    return 1;
  }
  Info("webhook-shim listening", {{"address", options.web.listen_address},
                                  {"port", (*shim)->port()},
                                  {"notify", options.notify_address}});
  int signal = 0;
  sigwait(&stop_signals, &signal);
  Info("shutting down", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
  (*shim)->Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
