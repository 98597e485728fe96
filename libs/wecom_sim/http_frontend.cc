#include "libs/wecom_sim/http_frontend.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"

namespace wecom_notify::wecom_sim {
namespace {

// "1.2.3.4:5678" -> "1.2.3.4"; "[::1]:5678" -> "::1".
std::string HostOf(const std::string& address) {
  const size_t colon = address.rfind(':');
  std::string host = colon == std::string::npos ? address : address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host.empty() ? "127.0.0.1" : host;
}

}  // namespace

HttpFrontend::HttpFrontend(Simulator& simulator)
    : simulator_(simulator), timer_([this] { TimerLoop(); }) {}

HttpFrontend::~HttpFrontend() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  timer_.join();
}

void HttpFrontend::Register(http::Router& router) {
  auto handler = [this](const http::Request& request, http::Responder responder) {
    Serve(request, std::move(responder));
  };
  // The WeCom endpoints take any method; the simulator answers a wrong one like WeCom does.
  for (const char* path : {"/cgi-bin/gettoken", "/cgi-bin/message/send", "/cgi-bin/webhook/send"}) {
    for (const char* method : {"GET", "POST"}) router.Add(method, path, handler);
  }
  const std::vector<std::pair<const char*, const char*>> control = {
      {"GET", "/sim/healthz"},       {"GET", "/sim/messages"},      {"GET", "/sim/stats"},
      {"GET", "/sim/faults"},        {"POST", "/sim/faults"},       {"DELETE", "/sim/faults"},
      {"POST", "/sim/faults/clear"}, {"POST", "/sim/revoke-token"}, {"POST", "/sim/reset"},
      {"GET", "/sim/config"},        {"POST", "/sim/config"},
  };
  for (const auto& [method, path] : control) router.Add(method, path, handler);
}

void HttpFrontend::Serve(const http::Request& request, http::Responder responder) {
  Request sim_request;
  sim_request.method = request.method;
  sim_request.path = request.path;
  sim_request.query = request.query;
  sim_request.body = request.body;
  sim_request.remote_ip = HostOf(request.remote_address);
  Reply reply = simulator_.Handle(sim_request);

  http::Response response;
  response.status = reply.status;
  response.content_type = std::move(reply.content_type);
  response.body = std::move(reply.body);
  response.headers = std::move(reply.headers);
  if (reply.delay <= absl::ZeroDuration()) {
    std::move(responder)(std::move(response));
    return;  // the ticket in `reply` is released after the answer was handed over
  }
  absl::MutexLock lock(&mu_);
  ++added_;
  pending_.emplace(absl::Now() + reply.delay,
                   Pending{std::move(responder), std::move(response), std::move(reply.in_flight)});
}

void HttpFrontend::TimerLoop() {
  for (;;) {
    std::vector<Pending> due;
    bool stopping = false;
    {
      absl::MutexLock lock(&mu_);
      // Wake at the next deadline, when a reply is queued, or on stop.
      const absl::Time wake = pending_.empty() ? absl::InfiniteFuture() : pending_.begin()->first;
      mu_.AwaitWithDeadline(absl::Condition(this, &HttpFrontend::ShouldWake), wake);
      seen_ = added_;
      stopping = stopping_;
      const absl::Time now = absl::Now();
      while (!pending_.empty() && (stopping || pending_.begin()->first <= now)) {
        due.push_back(std::move(pending_.begin()->second));
        pending_.erase(pending_.begin());
      }
    }
    for (Pending& p : due) std::move(p.responder)(std::move(p.response));
    if (stopping) return;
  }
}

}  // namespace wecom_notify::wecom_sim
