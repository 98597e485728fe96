// wecom-sim: a local WeCom server for tests, benchmarks and the README demo. Serves gettoken,
// message/send and webhook/send like the real server, plus the /sim/ control and inspection API.
// Wiring only; the logic lives in libs/wecom_sim.
//
// On start it prints one machine-readable line on stdout:
//   wecom-sim listening on 127.0.0.1:PORT

#include <prometheus/registry.h>
#include <pthread.h>

#include <csignal>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/time/time.h"
#include "libs/cli/cli.h"
#include "libs/common/clock.h"
#include "libs/http/server.h"
#include "libs/logging/logging.h"
#include "libs/metrics/metrics_endpoint.h"
#include "libs/wecom_sim/config.h"
#include "libs/wecom_sim/http_frontend.h"
#include "libs/wecom_sim/simulator.h"

namespace {

namespace po = boost::program_options;
using wecom_notify::logging::Error;
using wecom_notify::logging::Info;

int Run(int argc, char** argv) {
  wecom_notify::cli::LogFlags log_flags;
  std::string config_file;
  std::string listen_address = "127.0.0.1:9180";
  std::string token_lifetime;
  std::string rate_limits;
  std::string tls_cert_file, tls_key_file;
  int threads = 2;

  po::options_description flags("Flags");
  flags.add_options()("web.listen-address",
                      po::value(&listen_address)->default_value(listen_address),
                      "Address to serve WeCom's API and /sim/ on. Port 0 picks a free port.")(
      "config.file", po::value(&config_file),
      "Directory, credentials and switches (YAML or JSON). Without it the built-in demo corp "
      "is used: corp ww-sim-corp, agent 1000002 / secret sim-secret-1000002.")(
      "token.lifetime", po::value(&token_lifetime),
      "Access token lifetime, e.g. 7200s or 30s. Overrides the config file.")(
      "rate-limits", po::value(&rate_limits),
      "on | off: WeCom's per-member, daily and per-robot rate limits. Overrides the config "
      "file (default on).")("web.threads", po::value(&threads)->default_value(threads),
                            "HTTP I/O threads.")(
      "web.tls-cert-file", po::value(&tls_cert_file),
      "PEM certificate chain; with --web.tls-key-file serves HTTPS (to test a sender's CA "
      "bundle and proxy settings).")("web.tls-key-file", po::value(&tls_key_file),
                                     "PEM private key for TLS.");
  wecom_notify::cli::AddLogFlags(flags, log_flags);
  if (int code = wecom_notify::cli::ParseCommandLine(
          argc, argv,
          "Usage: wecom-sim [flags]\n\nA local WeCom (企业微信) server for tests and demos.", flags,
          log_flags);
      code >= 0) {
    return code;
  }

  std::string config_text;
  if (!config_file.empty()) {
    std::ifstream in(config_file);
    if (!in) {
      Error("cannot read config.file", {{"path", config_file}});
      return 1;
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    config_text = buffer.str();
  }
  auto config = wecom_notify::wecom_sim::ParseConfig(config_text);
  if (!config.ok()) {
    Error("bad configuration", {{"err", config.status().message()}});
    return 1;
  }
  if (!token_lifetime.empty() && (!absl::ParseDuration(token_lifetime, &config->token_lifetime) ||
                                  config->token_lifetime <= absl::ZeroDuration())) {
    Error("bad --token.lifetime, want a positive duration such as 7200s",
          {{"value", token_lifetime}});
    return 2;
  }
  if (rate_limits == "on" || rate_limits == "true") {
    config->rate_limits = true;
  } else if (rate_limits == "off" || rate_limits == "false") {
    config->rate_limits = false;
  } else if (!rate_limits.empty()) {
    Error("bad --rate-limits, want on or off", {{"value", rate_limits}});
    return 2;
  }

  // Block the stop signals before any thread starts, so only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  const std::string corp_id = config->corp_id;
  const bool limits_on = config->rate_limits;
  wecom_notify::wecom_sim::Simulator simulator(*std::move(config), wecom_notify::Clock::Real());
  wecom_notify::wecom_sim::HttpFrontend frontend(simulator);
  wecom_notify::http::Router router;
  frontend.Register(router);
  // GET /metrics: wecom_notify_build_info, as every binary of the project serves.
  wecom_notify::metrics::AddMetricsEndpoint(router, std::make_shared<prometheus::Registry>(),
                                            "wecom-sim");
  wecom_notify::http::ServerOptions options;
  options.listen_address = listen_address;
  options.threads = threads;
  if (tls_cert_file.empty() != tls_key_file.empty()) {
    Error("--web.tls-cert-file and --web.tls-key-file go together", {});
    return 2;
  }
  options.tls_cert_file = tls_cert_file;
  options.tls_key_file = tls_key_file;
  auto server = wecom_notify::http::Server::Start(options, std::move(router));
  if (!server.ok()) {
    Error("cannot start", {{"err", server.status().message()}});
    return 1;
  }
  const std::string host = listen_address.substr(0, listen_address.rfind(':'));
  std::cout << "wecom-sim listening on " << host << ":" << (*server)->port()
            << (tls_cert_file.empty() ? "" : " (https)") << std::endl;
  Info("wecom-sim started", {{"address", host + ":" + std::to_string((*server)->port())},
                             {"corp_id", corp_id},
                             {"rate_limits", limits_on ? "on" : "off"}});

  int signal = 0;
  sigwait(&stop_signals, &signal);
  Info("shutting down", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
  (*server)->Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
