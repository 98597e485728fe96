// File: libs/wecom/metrics.h
//
// WeComMetrics: the Prometheus series of libs/wecom, declared in one place. No label ever holds a
// secret: endpoints are fixed names, robots are not labelled at all, and recipients are the user,
// department and tag IDs of the configuration (bounded by it).
//
//   wecom_notify_wecom_requests_total{endpoint, result, errcode}    counter
//       endpoint: gettoken | message_send | webhook_send; result: ResultClassName();
//       errcode: WeCom errcode, or "none" when there was no WeCom answer
//   wecom_notify_wecom_invalid_recipients_total{kind, recipient}      counter
//       kind: user | party | tag | unlicensed_user
//   wecom_notify_wecom_rate_limit_wait_seconds_total{endpoint}        counter
//   wecom_notify_wecom_json_format_warnings_total{endpoint}           counter
//   wecom_notify_wecom_daily_quota_exhausted_total{agent_id}          counter
//       app-message requests not sent because the app's daily quota (account_limit x 200
//       person-times) was used up
//   wecom_notify_wecom_token_refreshes_total{result}                  counter
//       gettoken calls; result: ok | retry (transient failure) | permanent; all from 0
//   wecom_notify_wecom_token_age_seconds{agent_id}                    gauge (TokenAgeCollector)
//       seconds since the cached access token of the app was fetched; a series per cached token
//   wecom_notify_wecom_send_queue_depth{endpoint}                      gauge
//       messages queued for a destination and not yet taken into a send (send_queue.h): they
//       wait for a rate-limit slot or for the send ahead of them; from 0 for both endpoints
//
// Thread-safety: safe for concurrent use (prometheus-cpp families are).

#ifndef WECOM_NOTIFY_LIBS_WECOM_METRICS_H_
#define WECOM_NOTIFY_LIBS_WECOM_METRICS_H_

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/wecom/result.h"

namespace prometheus {
class Registry;
template <typename T>
class Family;
class Counter;
class Gauge;
}  // namespace prometheus

namespace wecom_notify::wecom {

class WeComMetrics {
 public:
  // Registers the families in `registry`, which must outlive this object.
  explicit WeComMetrics(prometheus::Registry& registry);

  void RecordRequest(absl::string_view endpoint, const CallOutcome& outcome);
  void RecordRateLimitWait(absl::string_view endpoint, absl::Duration wait);
  void RecordDailyQuotaExhausted(int64_t agent_id);
  void RecordTokenRefresh(ResultClass result);
  // Adds `delta` (negative: taken into a send) to the queue depth of `endpoint`.
  void AddQueued(absl::string_view endpoint, double delta);

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Counter>& invalid_recipients_;
  prometheus::Family<prometheus::Counter>& rate_limit_wait_;
  prometheus::Family<prometheus::Counter>& json_format_warnings_;
  prometheus::Family<prometheus::Gauge>& queue_depth_;
  prometheus::Family<prometheus::Counter>& daily_quota_exhausted_;
  prometheus::Family<prometheus::Counter>& token_refreshes_;
};

class TokenCache;

// Exports wecom_notify_wecom_token_age_seconds{agent_id}, computed from `tokens` at each scrape
// (a stored gauge would be stale between fetches). Register it next to the registry (see
// metrics::AddMetricsEndpoint). Labels carry the agent_id only, never a secret or token.
class TokenAgeCollector : public prometheus::Collectable {
 public:
  // `tokens` must outlive the collector.
  explicit TokenAgeCollector(const TokenCache& tokens) : tokens_(tokens) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const TokenCache& tokens_;
};

}  // namespace wecom_notify::wecom

#endif  // WECOM_NOTIFY_LIBS_WECOM_METRICS_H_
