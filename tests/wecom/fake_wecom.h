// File: tests/wecom/fake_wecom.h
//
// FakeWeCom: a scripted, in-process WeCom behind the HttpTransport seam. It issues tokens
// ("tok-1", "tok-2", ...), rejects revoked or unknown tokens with 40014, answers message/send and
// webhook/send with scripted answers (default {"errcode":0}), and records every request with the
// Clock time it arrived. Thread-safe.

#ifndef WECOM_NOTIFY_TESTS_WECOM_FAKE_WECOM_H_
#define WECOM_NOTIFY_TESTS_WECOM_FAKE_WECOM_H_

#include <deque>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "libs/common/clock.h"
#include "libs/wecom/http_transport.h"

namespace wecom_notify::wecom::testing {

struct RecordedRequest {
  HttpRequest request;
  absl::Time at;
};

class FakeWeCom : public HttpTransport {
 public:
  using Answer = absl::StatusOr<HttpResponse>;

  explicit FakeWeCom(Clock& clock) : clock_(clock) {}

  static Answer Json(const std::string& body) { return HttpResponse{200, body}; }
  static Answer Errcode(int64_t errcode, const std::string& errmsg = "error") {
    return Json(absl::StrCat("{\"errcode\":", errcode, ",\"errmsg\":\"", errmsg, "\"}"));
  }

  // Next answers for each endpoint, consumed in order before the default behaviour.
  void ScriptGetToken(Answer a) {
    absl::MutexLock l(&mu_);
    token_script_.push_back(a);
  }
  void ScriptSend(Answer a) {
    absl::MutexLock l(&mu_);
    send_script_.push_back(a);
  }
  void ScriptRobot(Answer a) {
    absl::MutexLock l(&mu_);
    robot_script_.push_back(a);
  }

  // Makes every token issued so far invalid (next use -> 40014).
  void RevokeAllTokens() {
    absl::MutexLock l(&mu_);
    valid_tokens_.clear();
  }
  void set_expires_in(int seconds) {
    absl::MutexLock l(&mu_);
    expires_in_ = seconds;
  }
  // Real-time delay inside gettoken, so concurrent callers overlap.
  void set_gettoken_delay(absl::Duration d) {
    absl::MutexLock l(&mu_);
    gettoken_delay_ = d;
  }

  // The next sends (message/send, webhook/send) take these durations of the test's clock each
  // to "reach WeCom" (the clock is slept inside Send; a simulated clock just advances).
  void QueueSendLatencies(std::vector<absl::Duration> latencies) {
    absl::MutexLock l(&mu_);
    send_latencies_.insert(send_latencies_.end(), latencies.begin(), latencies.end());
  }

  // While held, message/send and webhook/send requests are recorded and then block until
  // ReleaseSends(), so a test can queue messages behind one in flight.
  void HoldSends() {
    absl::MutexLock l(&mu_);
    held_ = true;
  }
  void ReleaseSends() {
    absl::MutexLock l(&mu_);
    held_ = false;
  }

  int gettoken_calls() const {
    absl::MutexLock l(&mu_);
    return gettoken_calls_;
  }
  std::vector<RecordedRequest> requests() const {
    absl::MutexLock l(&mu_);
    return requests_;
  }
  std::vector<RecordedRequest> Requests(absl::string_view path) const {
    std::vector<RecordedRequest> out;
    for (const RecordedRequest& r : requests()) {
      if (absl::StrContains(r.request.url, path)) out.push_back(r);
    }
    return out;
  }

  Answer Send(const HttpRequest& request) override {
    absl::Duration delay;
    {
      absl::MutexLock l(&mu_);
      requests_.push_back({request, clock_.Now()});
      if (absl::StrContains(request.url, "/gettoken?")) {
        ++gettoken_calls_;
        delay = gettoken_delay_;
      }
    }
    if (delay > absl::ZeroDuration()) absl::SleepFor(delay);
    absl::Duration latency;
    {
      absl::MutexLock l(&mu_);
      if (!absl::StrContains(request.url, "/gettoken?") && !send_latencies_.empty()) {
        latency = send_latencies_.front();
        send_latencies_.pop_front();
      }
    }
    if (latency > absl::ZeroDuration()) clock_.SleepFor(latency);
    absl::MutexLock l(&mu_);
    if (!absl::StrContains(request.url, "/gettoken?")) {
      mu_.Await(absl::Condition(
          +[](bool* held) { return !*held; }, &held_));
    }
    if (absl::StrContains(request.url, "/gettoken?")) {
      if (!token_script_.empty()) return Pop(token_script_);
      std::string token = absl::StrCat("tok-", ++tokens_issued_);
      valid_tokens_.insert(token);
      return Json(absl::StrCat("{\"errcode\":0,\"errmsg\":\"ok\",\"access_token\":\"", token,
                               "\",\"expires_in\":", expires_in_, "}"));
    }
    if (absl::StrContains(request.url, "/message/send?")) {
      const size_t pos = request.url.find("access_token=");
      const std::string token = pos == std::string::npos ? "" : request.url.substr(pos + 13);
      if (!valid_tokens_.count(token)) return Errcode(40014, "invalid access_token");
      if (!send_script_.empty()) return Pop(send_script_);
      return Json(R"({"errcode":0,"errmsg":"ok","msgid":"m1"})");
    }
    if (absl::StrContains(request.url, "/webhook/send?")) {
      if (!robot_script_.empty()) return Pop(robot_script_);
      return Json(R"({"errcode":0,"errmsg":"ok"})");
    }
    return HttpResponse{404, ""};
  }

 private:
  static Answer Pop(std::deque<Answer>& q) {
    Answer a = q.front();
    q.pop_front();
    return a;
  }

  Clock& clock_;
  mutable absl::Mutex mu_;
  std::deque<Answer> token_script_, send_script_, robot_script_;
  std::deque<absl::Duration> send_latencies_;
  std::set<std::string> valid_tokens_;
  std::vector<RecordedRequest> requests_;
  int tokens_issued_ = 0;
  int gettoken_calls_ = 0;
  int expires_in_ = 7200;
  absl::Duration gettoken_delay_;
  bool held_ = false;
};

}  // namespace wecom_notify::wecom::testing

#endif  // WECOM_NOTIFY_TESTS_WECOM_FAKE_WECOM_H_
