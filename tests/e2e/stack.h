// File: tests/e2e/stack.h
//
// notifyd and webhook-shim as real processes on 127.0.0.1 with ports picked per test, plus a
// gRPC client of notifyd. Shared by the end-to-end tests.

#ifndef WECOM_NOTIFY_TESTS_E2E_STACK_H_
#define WECOM_NOTIFY_TESTS_E2E_STACK_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/testing/testing.h"
#include "wecom_notify/v1/notify.grpc.pb.h"

namespace wecom_notify::testing {

class Stack {
 public:
  // `dir` holds logs and state; extra flags go to the shim.
  explicit Stack(std::string dir) : dir_(std::move(dir)) {
    grpc_port_ = FreePort();
    notifyd_web_port_ = FreePort();
    shim_port_ = FreePort();
  }

  // Starts the WeCom simulator on a free port; true once it listens. Its base URL for
  // config's api_url is SimApiUrl().
  bool StartWeComSim(const std::vector<std::string>& extra_flags = {});
  std::string SimUrl(const std::string& path) const;
  std::string SimApiUrl() const { return SimUrl("/cgi-bin/"); }
  Process* sim() { return sim_.get(); }

  // Starts notifyd; true once its gRPC health answers SERVING (bounded wait).
  bool StartNotifyd(const std::vector<std::string>& extra_flags = {});
  // Starts the shim; true once its /-/ready answers 200 (bounded wait). With `expect_ready`
  // false it only waits for /-/healthy.
  bool StartShim(const std::vector<std::string>& extra_flags = {}, bool expect_ready = true);

  Process* notifyd() { return notifyd_.get(); }
  Process* shim() { return shim_.get(); }
  void StopNotifyd(int signal) { if (notifyd_) notifyd_->Stop(signal); }

  std::string ShimUrl(const std::string& path, const std::string& scheme = "http") const;
  std::string NotifydWebUrl(const std::string& path) const;
  std::string grpc_address() const;
  const std::string& dir() const { return dir_; }

  // ListAlerts over gRPC; empty on error (the error goes to `status` when given).
  std::vector<wecom_notify::v1::Alert> ListAlerts(const std::string& alertname = "",
                                                  grpc::Status* status = nullptr);
  // Health check over gRPC (grpc.health.v1).
  bool NotifydServing();

 private:
  // Starts `process` from `argv()` (its output to `log`) and waits until `ready()` (bounded).
  // When it exits at once saying `port_taken` — a port found free was bound first by a test
  // running in parallel — calls `before_retry` (fresh ports, or a pause) and starts it again, up
  // to three starts in all.
  bool StartRetryingTakenPort(const std::function<std::vector<std::string>()>& argv,
                              const std::string& log, std::unique_ptr<Process>& process,
                              const std::function<bool()>& ready, const std::string& port_taken,
                              const std::function<void()>& before_retry);

  std::string dir_;
  int grpc_port_, notifyd_web_port_, shim_port_, sim_port_ = 0;
  std::unique_ptr<Process> notifyd_, shim_, sim_;
};

}  // namespace wecom_notify::testing

#endif  // WECOM_NOTIFY_TESTS_E2E_STACK_H_
