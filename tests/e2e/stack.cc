#include "tests/e2e/stack.h"

#include <grpcpp/create_channel.h>

#include <algorithm>
#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace wecom_notify::testing {

std::string Stack::grpc_address() const { return absl::StrCat("127.0.0.1:", grpc_port_); }

std::string Stack::ShimUrl(const std::string& path, const std::string& scheme) const {
  return absl::StrCat(scheme, "://127.0.0.1:", shim_port_, path);
}

std::string Stack::NotifydWebUrl(const std::string& path) const {
  return absl::StrCat("http://127.0.0.1:", notifyd_web_port_, path);
}

std::string Stack::SimUrl(const std::string& path) const {
  return absl::StrCat("http://127.0.0.1:", sim_port_, path);
}

bool Stack::StartWeComSim(const std::vector<std::string>& extra_flags) {
  sim_port_ = FreePort();
  std::vector<std::string> argv = {BinPath("wecom-sim"),
                                   absl::StrCat("--web.listen-address=127.0.0.1:", sim_port_)};
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  auto process = Process::Start(argv, absl::StrCat(dir_, "/wecom-sim.log"));
  if (!process.ok()) return false;
  sim_ = *std::move(process);
  return WaitFor([this] { return HttpRequest("GET", SimUrl("/sim/healthz")).status == 200; },
                 absl::Seconds(10));
}

bool Stack::StartRetryingTakenPort(const std::function<std::vector<std::string>()>& argv,
                                   const std::string& log, std::unique_ptr<Process>& process,
                                   const std::function<bool()>& ready,
                                   const std::string& port_taken,
                                   const std::function<void()>& before_retry) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto started = Process::Start(argv(), log);
    if (!started.ok()) return false;
    process = *std::move(started);
    const bool up = WaitFor([&] { return !process->Running() || ready(); }, absl::Seconds(15));
    if (up && process->Running()) return true;
    if (process->Running() || process->Output().find(port_taken) == std::string::npos) {
      return false;
    }
    before_retry();
  }
  return false;
}

bool Stack::StartNotifyd(const std::vector<std::string>& extra_flags) {
  // A port FreePort() found free — or one this stack's notifyd held before a restart — may be
  // taken by a test running in parallel. notifyd is then started again on fresh ports, unless a
  // running shim sends to the old one — then on the same ports after a pause, which outlasts
  // another test's FreePort() probe.
  return StartRetryingTakenPort(
      [&] {
        std::vector<std::string> argv = {
            BinPath("notifyd"), absl::StrCat("--grpc.listen-address=", grpc_address()),
            absl::StrCat("--web.listen-address=127.0.0.1:", notifyd_web_port_),
            absl::StrCat("--storage.path=", dir_, "/data")};
        argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
        return argv;
      },
      absl::StrCat(dir_, "/notifyd.log"), notifyd_, [this] { return NotifydServing(); },
      "cannot listen",
      [this] {
        if (shim_ && shim_->Running()) {
          absl::SleepFor(absl::Milliseconds(500));
        } else {
          grpc_port_ = FreePort();
          notifyd_web_port_ = FreePort();
        }
      });
}

bool Stack::StartShim(const std::vector<std::string>& extra_flags, bool expect_ready) {
  const std::string scheme = std::find_if(extra_flags.begin(), extra_flags.end(),
                                          [](const std::string& f) {
                                            return f.rfind("--web.tls-cert-file", 0) == 0;
                                          }) != extra_flags.end()
                                 ? "https"
                                 : "http";
  const std::string path = expect_ready ? "/-/ready" : "/-/healthy";
  // FreePort() only found the port free: a test running in parallel may bind it first. The shim
  // is then started again on a fresh port.
  return StartRetryingTakenPort(
      [&] {
        std::vector<std::string> argv = {
            BinPath("webhook-shim"), absl::StrCat("--web.listen-address=127.0.0.1:", shim_port_),
            absl::StrCat("--notify.address=", grpc_address())};
        argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
        return argv;
      },
      absl::StrCat(dir_, "/shim.log"), shim_,
      [&] { return HttpRequest("GET", ShimUrl(path, scheme)).status == 200; },
      "Address already in use", [this] { shim_port_ = FreePort(); });
}

std::vector<wecom_notify::v1::Alert> Stack::ListAlerts(const std::string& alertname,
                                                       grpc::Status* status) {
  auto stub = wecom_notify::v1::Notify::NewStub(
      grpc::CreateChannel(grpc_address(), grpc::InsecureChannelCredentials()));
  wecom_notify::v1::ListAlertsRequest request;
  if (!alertname.empty()) {
    auto* m = request.add_matchers();
    m->set_name("alertname");
    m->set_value(alertname);
  }
  wecom_notify::v1::ListAlertsResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::Status s = stub->ListAlerts(&context, request, &response);
  if (status) *status = s;
  return {response.alerts().begin(), response.alerts().end()};
}

bool Stack::NotifydServing() {
  auto stub = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(grpc_address(), grpc::InsecureChannelCredentials()));
  grpc::health::v1::HealthCheckResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
  return stub->Check(&context, grpc::health::v1::HealthCheckRequest(), &response).ok() &&
         response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
}

}  // namespace wecom_notify::testing
