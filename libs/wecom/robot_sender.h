// File: libs/wecom/robot_sender.h
//
// RobotSender posts to one WeCom group robot (`webhook/send?key=`). The key is the robot's only
// credential: it appears in no log, error or metric label (logs name the robot by
// SecretFingerprint(key)).
//
//   * text: `mentioned_list` (user IDs, "@all") and `mentioned_mobile_list` (phone numbers,
//   "@all").
//   * markdown: mentions become `<@userid>` appended to the content; markdown cannot @all or
//     mention by phone, so those are left out (logged once at construction).
//   * Mentions go only into sends with SendOptions::mentions (SendParts(): the first part).
//   * With a SendQueue in Deps, messages waiting for the same robot are merged into one message
//     when their turn comes (send_queue.h), instead of falling behind the 20 / min limit.
//   * Each send books the robot in the RateLimiter (RobotLimits(): 20 / min) and waits on the
//     Clock until its slot, and holds one of at most `max_in_flight` slots per key (WeCom answers
//     45033 to bursts).
//   * kRetry outcomes back off per RetryPolicy; kPermanent (93000 bad key, 40058 content) stops.
//
// Thread-safety: safe for concurrent use.

#ifndef WECOM_NOTIFY_LIBS_WECOM_ROBOT_SENDER_H_
#define WECOM_NOTIFY_LIBS_WECOM_ROBOT_SENDER_H_

#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "libs/common/clock.h"
#include "libs/wecom/http_transport.h"
#include "libs/wecom/metrics.h"
#include "libs/wecom/rate_limiter.h"
#include "libs/wecom/retry.h"
#include "libs/wecom/send_queue.h"
#include "libs/wecom/sender.h"

namespace wecom_notify::wecom {

inline constexpr absl::string_view kDefaultRobotUrl =
    "https://qyapi.weixin.qq.com/cgi-bin/webhook/send";

struct RobotConfig {
  // The webhook endpoint without the query.
  std::string webhook_url = std::string(kDefaultRobotUrl);
  // The robot key (a secret). A whole webhook URL ("...webhook/send?key=K") is accepted too,
  // since that is what operators copy from the group.
  std::string key;
  std::string proxy_url;
  bool proxy_from_environment = true;          // see HttpRequest::proxy_from_environment
  std::vector<std::string> mentioned_users;    // user IDs; "@all" = everyone (text only)
  std::vector<std::string> mentioned_mobiles;  // phone numbers (text only)
};

// Bounds concurrent requests per key. Share one between senders that may use the same robot.
class InFlightLimiter {
 public:
  explicit InFlightLimiter(int max_per_key) : max_per_key_(max_per_key) {}
  void Acquire(const std::string& key);
  void Release(const std::string& key);

 private:
  const int max_per_key_;
  absl::Mutex mu_;
  std::map<std::string, int> in_flight_ ABSL_GUARDED_BY(mu_);
};

class RobotSender : public Sender {
 public:
  struct Deps {
    HttpTransport* transport = nullptr;    // required
    Clock* clock = nullptr;                // required
    RateLimiter* limiter = nullptr;        // optional; built with RobotLimits() in production
    InFlightLimiter* in_flight = nullptr;  // optional; 2 per key in production
    WeComMetrics* metrics = nullptr;       // optional
    SendQueue* queue = nullptr;            // optional; merges queued messages (send_queue.h)
  };

  // REQUIRES: the required deps are non-null and outlive the sender.
  RobotSender(RobotConfig config, Deps deps, RetryPolicy retry = {});

  // See Sender::Send(). Also kInvalidArgument when the key is empty.
  using Sender::Send;
  absl::Status Send(MessageFormat format, absl::string_view content, const SendOptions& options,
                    SendReport* report) override;
  // text 2048; markdown 4096 minus the bytes of the appended `<@userid>` mentions.
  size_t MaxContentBytes(MessageFormat format) const override;

  // The robot's name in logs: SecretFingerprint(key).
  const std::string& robot_id() const { return robot_id_; }

 private:
  std::string MarkdownMentions() const;
  // Sends now (after the limiter's wait), with retries.
  absl::Status Deliver(MessageFormat format, absl::string_view content, bool mentions,
                       SendReport* report);

  RobotConfig config_;
  const Deps deps_;
  const RetryPolicy retry_;
  std::string robot_id_;
  std::string limiter_key_;  // "robot/<key>": also the SendQueue key; never logged
};

}  // namespace wecom_notify::wecom

#endif  // WECOM_NOTIFY_LIBS_WECOM_ROBOT_SENDER_H_
