// File: libs/wecom/app_message_sender.h
//
// AppMessageSender sends an app message (`message/send`) from one WeCom app to one fixed set of
// recipients. Build one per (app, receiver); they share a TokenCache and a RateLimiter.
//
// Per Send():
//   * Recipients are `|`-joined with no spaces, and split into several requests above 1000
//     users / 100 departments / 100 tags. "@all" as the only user addresses the app's whole
//     visible range (departments and tags are then ignored by WeCom, so they are not sent).
//   * agentid is a JSON integer; the body is raw UTF-8 JSON (no \uXXXX escapes).
//   * enable_duplicate_check (default on, interval 30 min): a resend after a timeout carries the
//     same JSON, and WeCom will not show it twice.
//   * The access token comes from the TokenCache; on 40014 / 42001 (and 41001) it is dropped,
//     fetched once and the request resent once.
//   * Each request first books every recipient in the RateLimiter (AppMessageLimits(): per member
//     30 / min and 1000 / h) and waits on the Clock until its slot: above those limits WeCom drops
//     messages silently with errcode 0, so we queue instead.
//   * With a SendQueue in Deps, messages waiting for the same recipient set of the same app are
//     merged into one message when their turn comes (send_queue.h): an alert storm arrives
//     complete in fewer messages instead of falling behind the per-member limits.
//   * With a DailyQuota in Deps and AppConfig::account_limit set, a request that would exceed
//     the app's daily quota (account_limit x 200 person-times) is not sent: Send() fails with
//     kResourceExhausted naming the quota and when it resets, and the metric
//     wecom_notify_wecom_daily_quota_exhausted_total counts it. Beyond the quota WeCom drops or
//     refuses messages; we say so instead.
//   * kRetry outcomes back off per RetryPolicy; kPermanent stops with an actionable status.
//   * A partial failure (invaliduser / invalidparty / invalidtag / unlicenseduser) is OK, logged
//     by name and counted per recipient in metrics.
// Departments and tags count in the limiter under their own IDs (their members are unknown to
// us), and "@all" under one key per app.
//
// Thread-safety: safe for concurrent use.

#ifndef WECOM_NOTIFY_LIBS_WECOM_APP_MESSAGE_SENDER_H_
#define WECOM_NOTIFY_LIBS_WECOM_APP_MESSAGE_SENDER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "libs/common/clock.h"
#include "libs/wecom/http_transport.h"
#include "libs/wecom/metrics.h"
#include "libs/wecom/rate_limiter.h"
#include "libs/wecom/retry.h"
#include "libs/wecom/send_queue.h"
#include "libs/wecom/sender.h"
#include "libs/wecom/token_cache.h"

namespace wecom_notify::wecom {

struct AppConfig {
  AppCredentials credentials;  // api_url, corp_id, secret, proxy_url
  int64_t agent_id = 0;
  bool enable_duplicate_check = true;
  absl::Duration duplicate_check_interval = absl::Minutes(30);  // WeCom caps it at 4 h
  // The corp's account limit (账号上限). The app may send account_limit x 200 person-times a
  // day (DailyQuota); 0 = unknown: counted, not enforced.
  int64_t account_limit = 0;
};

struct Recipients {
  std::vector<std::string> users;    // user IDs, or just "@all"
  std::vector<std::string> parties;  // department IDs
  std::vector<std::string> tags;     // tag IDs
};

// One request's worth of recipients, `|`-joined. Exposed for tests.
struct RecipientBatch {
  std::string touser, toparty, totag;
  std::vector<std::string> limiter_keys;  // what this batch books in the RateLimiter
  int64_t persons = 0;  // person-times for DailyQuota: users, plus 1 per department/tag/@all
};
// Splits `to` into batches within the per-request caps (limits.h); duplicates and empty IDs are
// dropped, user IDs compared case-insensitively (WeCom lower-cases them). `app_key` prefixes the
// limiter keys.
std::vector<RecipientBatch> BatchRecipients(const Recipients& to, const std::string& app_key);

class AppMessageSender : public Sender {
 public:
  struct Deps {
    HttpTransport* transport = nullptr;  // required
    TokenCache* tokens = nullptr;        // required
    Clock* clock = nullptr;              // required
    RateLimiter* limiter = nullptr;      // optional; built with AppMessageLimits() in production
    WeComMetrics* metrics = nullptr;     // optional
    SendQueue* queue = nullptr;          // optional; merges queued messages (send_queue.h)
    DailyQuota* quota = nullptr;         // optional; the per-app daily quota (rate_limiter.h)
  };

  // REQUIRES: the required deps are non-null and outlive the sender.
  AppMessageSender(AppConfig config, Recipients to, Deps deps, RetryPolicy retry = {});

  // See Sender::Send(). Also kInvalidArgument when there is no recipient or agent_id <= 0.
  using Sender::Send;
  absl::Status Send(MessageFormat format, absl::string_view content, const SendOptions& options,
                    SendReport* report) override;
  size_t MaxContentBytes(MessageFormat format) const override;

  // The SendQueue key of this sender's destination: the app and its (normalized) recipients.
  const std::string& destination_key() const { return destination_key_; }

 private:
  CallOutcome SendOnce(const std::string& body_without_token, SendReport* report);
  // Books `batch` in the daily quota; kResourceExhausted (logged, counted) when it is used up.
  absl::Status TakeQuota(const RecipientBatch& batch);
  // Sends now (after the limiter's wait): every batch, with retries.
  absl::Status Deliver(MessageFormat format, absl::string_view content, SendReport* report);

  const AppConfig config_;
  const Deps deps_;
  const RetryPolicy retry_;
  const std::string app_key_;  // "app/<corp_id>/<agent_id>", for limiter keys and logs
  const std::vector<RecipientBatch> batches_;
  std::vector<std::string> all_limiter_keys_;
  std::string destination_key_;
};

}  // namespace wecom_notify::wecom

#endif  // WECOM_NOTIFY_LIBS_WECOM_APP_MESSAGE_SENDER_H_
