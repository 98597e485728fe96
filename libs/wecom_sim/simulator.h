// File: libs/wecom_sim/simulator.h
//
// Simulator is a fake WeCom server as a pure state machine: it answers one HTTP request at a time
// (Handle) and never touches a socket, a thread or the real clock. It serves
//
//   GET  /cgi-bin/gettoken             tokens that expire and can be revoked early
//   POST /cgi-bin/message/send         app messages: directory, byte limits, rate limits,
//                                      duplicate check
//   POST /cgi-bin/webhook/send         group robot: byte limits, 20/min per key
//   /sim/...                           control and inspection (see the README of wecom-sim)
//
// and reproduces the real server's envelope: HTTP 200 with errcode JSON, errmsg with the
// ", hint: [...], from ip: ..., more info at ...?e=N" suffix, Error-Code/Error-Msg headers, and
// 404 with an empty body for unknown paths. Every behaviour is cited in
// shared/research/wecom-api.md §7.
//
// Slow answers and limits on requests in flight need the transport's help: a Reply carries the
// delay the transport must wait before answering, and an in-flight ticket the transport must hold
// until the answer has been sent (dropping the ticket ends the request).
//
// Thread-safety: every public method is safe for concurrent use.

#ifndef WECOM_NOTIFY_LIBS_WECOM_SIM_SIMULATOR_H_
#define WECOM_NOTIFY_LIBS_WECOM_SIM_SIMULATOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"
#include "libs/wecom_sim/config.h"

namespace wecom_notify::wecom_sim {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // before '?'
  std::string query;   // after '?', raw (percent-encoded)
  std::string body;
  std::string remote_ip = "127.0.0.1";  // shown in errmsg as "from ip: ..."
};

struct Reply {
  int status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // The transport waits this long before sending the reply.
  absl::Duration delay = absl::ZeroDuration();
  // Held by the transport until the reply has been sent; counts the request as in flight.
  std::shared_ptr<void> in_flight;
};

// Fault injection: the next `count` requests to `endpoint` are answered this way instead of (or,
// for a pure delay, after) normal processing.
struct Fault {
  std::string endpoint = "*";  // "gettoken", "message/send", "webhook/send" or "*"
  int count = 1;               // -1: until cleared
  int errcode = 0;             // non-zero: answer this errcode (standard errmsg), deliver nothing
  std::string errmsg;          // overrides the standard errmsg text (before the hint suffix)
  int http_status = 0;         // non-zero: answer this HTTP status, deliver nothing
  std::string body;            // with http_status: the body (default: an nginx-like HTML page)
  absl::Duration delay = absl::ZeroDuration();  // answer late; alone, the request is processed
};

// One message the simulator accepted (delivered, truncated, or suppressed as a duplicate).
struct Counts {
  int64_t messages = 0;               // accepted sends (app + robot), duplicates excluded
  int64_t deliveries = 0;             // person-times delivered (app) + robot messages
  int64_t dropped = 0;                // recipients silently dropped by the per-member limit
  int64_t duplicates_suppressed = 0;  // sends suppressed by enable_duplicate_check
  int64_t truncated = 0;              // messages delivered with truncated content
  int64_t rejected = 0;               // send calls answered with a non-zero errcode
  int64_t faults_injected = 0;        // answers produced by a fault
  int64_t tokens_issued = 0;
};

class Simulator {
 public:
  Simulator(Config config, Clock& clock);
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Handle()
  //
  // Answers one HTTP request: the WeCom endpoints and the /sim/ control API.
  Reply Handle(const Request& request);

  // Direct (in-process) access to the control API, for unit tests and embedding.
  void AddFault(const Fault& fault);
  void ClearFaults();
  // Revokes `token` ("" = every token) so its next use answers `errcode` (40014 or 42001).
  void RevokeToken(const std::string& token, int errcode);
  // Forgets messages, counters, faults, rate windows and duplicate history; tokens too when
  // `tokens` is true.
  void Reset(bool tokens);
  Counts GetCounts() const;
  // The JSON served by GET /sim/messages (filters as its query: touser, robot, agentid, since).
  std::string MessagesJson(const std::string& query) const;
  Config GetConfig() const;
  // Applies YAML/JSON overrides in the config-file format (see ParseConfig), e.g.
  // "rate_limits: false". InvalidArgument leaves the config unchanged.
  absl::Status UpdateConfig(std::string_view text);

 private:
  friend class Engine;
  struct State;

  Reply HandleControl(const Request& request);

  Clock& clock_;
  mutable absl::Mutex mu_;
  std::unique_ptr<State> state_ ABSL_GUARDED_BY(mu_);
};

}  // namespace wecom_notify::wecom_sim

#endif  // WECOM_NOTIFY_LIBS_WECOM_SIM_SIMULATOR_H_
