#include "tests/e2e/stack.h"

#include <grpcpp/create_channel.h>

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

bool Stack::StartNotifyd(const std::vector<std::string>& extra_flags) {
  // As for the shim below: a port FreePort() found free — or one this stack's notifyd held before
  // a restart — may be taken by a test running in parallel, and then notifyd exits at once. It
  // is started again, up to three times: on fresh ports, unless a running shim sends to the old
  // one — then on the same ports after a pause, which outlasts another test's FreePort() probe.
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::vector<std::string> argv = {
        BinPath("notifyd"), absl::StrCat("--grpc.listen-address=", grpc_address()),
        absl::StrCat("--web.listen-address=127.0.0.1:", notifyd_web_port_),
        absl::StrCat("--storage.path=", dir_, "/data")};
    argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
    auto process = Process::Start(argv, absl::StrCat(dir_, "/notifyd.log"));
    if (!process.ok()) return false;
    notifyd_ = *std::move(process);
    const bool up =
        WaitFor([this] { return !notifyd_->Running() || NotifydServing(); }, absl::Seconds(15));
    if (up && notifyd_->Running()) return true;
    if (notifyd_->Running() || notifyd_->Output().find("cannot listen") == std::string::npos) {
      return false;
    }
    if (shim_ && shim_->Running()) {
      absl::SleepFor(absl::Milliseconds(500));
    } else {
      grpc_port_ = FreePort();
      notifyd_web_port_ = FreePort();
    }
  }
  return false;
}

bool Stack::StartShim(const std::vector<std::string>& extra_flags, bool expect_ready) {
  const std::string scheme = std::find_if(extra_flags.begin(), extra_flags.end(),
                                          [](const std::string& f) {
                                            return f.rfind("--web.tls-cert-file", 0) == 0;
                                          }) != extra_flags.end()
                                 ? "https"
                                 : "http";
  const std::string path = expect_ready ? "/-/ready" : "/-/healthy";
  // FreePort() only found the port free: a test running in parallel may bind it first, and then
  // the shim exits at once. A fresh port is tried then, up to three times.
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::vector<std::string> argv = {BinPath("webhook-shim"),
                                     absl::StrCat("--web.listen-address=127.0.0.1:", shim_port_),
                                     absl::StrCat("--notify.address=", grpc_address())};
    argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
    auto process = Process::Start(argv, absl::StrCat(dir_, "/shim.log"));
    if (!process.ok()) return false;
    shim_ = *std::move(process);
    const bool up = WaitFor(
        [&] {
          return !shim_->Running() || HttpRequest("GET", ShimUrl(path, scheme)).status == 200;
        },
        absl::Seconds(15));
    if (up && shim_->Running()) return true;
    if (shim_->Running() || shim_->Output().find("Address already in use") == std::string::npos) {
      return false;
    }
    shim_port_ = FreePort();
  }
  return false;
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
