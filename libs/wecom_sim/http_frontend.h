// File: libs/wecom_sim/http_frontend.h
//
// HttpFrontend serves a Simulator through libs/http: it registers the WeCom endpoints and the
// /sim/ control API on a Router, converts requests and replies, and applies the simulator's
// slow-answer faults on its own timer thread, so the server's I/O threads never sleep. It holds
// each reply's in-flight ticket until the reply has been handed to the server.
//
// Thread-safety: Register() once, before the server starts; handlers run on any thread. Destroy
// after the server has stopped: pending delayed replies are then answered at once.

#ifndef WECOM_NOTIFY_LIBS_WECOM_SIM_HTTP_FRONTEND_H_
#define WECOM_NOTIFY_LIBS_WECOM_SIM_HTTP_FRONTEND_H_

#include <cstdint>
#include <map>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/http/server.h"
#include "libs/wecom_sim/simulator.h"

namespace wecom_notify::wecom_sim {

class HttpFrontend {
 public:
  explicit HttpFrontend(Simulator& simulator);
  ~HttpFrontend();
  HttpFrontend(const HttpFrontend&) = delete;
  HttpFrontend& operator=(const HttpFrontend&) = delete;

  // Adds every simulator route to `router`.
  void Register(http::Router& router);

 private:
  struct Pending {
    http::Responder responder;
    http::Response response;
    std::shared_ptr<void> in_flight;
  };

  void Serve(const http::Request& request, http::Responder responder);
  void TimerLoop();
  bool ShouldWake() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || added_ != seen_;
  }

  Simulator& simulator_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t added_ ABSL_GUARDED_BY(mu_) = 0;  // replies queued so far
  uint64_t seen_ ABSL_GUARDED_BY(mu_) = 0;   // ... of which the timer has seen
  std::multimap<absl::Time, Pending> pending_ ABSL_GUARDED_BY(mu_);
  std::thread timer_;
};

}  // namespace wecom_notify::wecom_sim

#endif  // WECOM_NOTIFY_LIBS_WECOM_SIM_HTTP_FRONTEND_H_
