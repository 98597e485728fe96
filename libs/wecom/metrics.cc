#include "libs/wecom/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "libs/wecom/token_cache.h"

namespace wecom_notify::wecom {

WeComMetrics::WeComMetrics(prometheus::Registry& registry)
    : requests_(prometheus::BuildCounter()
                    .Name("wecom_notify_wecom_requests_total")
                    .Help("WeCom API calls by endpoint, result class and errcode")
                    .Register(registry)),
      invalid_recipients_(prometheus::BuildCounter()
                              .Name("wecom_notify_wecom_invalid_recipients_total")
                              .Help("Recipients WeCom reported as invalid or unlicensed")
                              .Register(registry)),
      rate_limit_wait_(prometheus::BuildCounter()
                           .Name("wecom_notify_wecom_rate_limit_wait_seconds_total")
                           .Help("Time sends waited to stay under WeCom's frequency limits")
                           .Register(registry)),
      json_format_warnings_(prometheus::BuildCounter()
                                .Name("wecom_notify_wecom_json_format_warnings_total")
                                .Help("Answers with 'Warning: wrong json format' (our bug)")
                                .Register(registry)),
      queue_depth_(prometheus::BuildGauge()
                       .Name("wecom_notify_wecom_send_queue_depth")
                       .Help("Messages queued for a WeCom destination, waiting for a rate-limit "
                             "slot or the send ahead of them")
                       .Register(registry)),
      daily_quota_exhausted_(
          prometheus::BuildCounter()
              .Name("wecom_notify_wecom_daily_quota_exhausted_total")
              .Help("App-message requests not sent: the app's daily quota (account_limit x 200 "
                    "person-times) was used up")
              .Register(registry)),
      token_refreshes_(prometheus::BuildCounter()
                           .Name("wecom_notify_wecom_token_refreshes_total")
                           .Help("WeCom access-token fetches (gettoken) by result")
                           .Register(registry)) {
  for (ResultClass r : {ResultClass::kOk, ResultClass::kRetry, ResultClass::kPermanent}) {
    token_refreshes_.Add({{"result", std::string(ResultClassName(r))}});
  }
  for (const char* endpoint : {"message_send", "webhook_send"}) {
    queue_depth_.Add({{"endpoint", endpoint}});
  }
}

void WeComMetrics::RecordRequest(absl::string_view endpoint, const CallOutcome& outcome) {
  const bool answered = outcome.transport_status.ok() && outcome.http_status == 200;
  requests_
      .Add({{"endpoint", std::string(endpoint)},
            {"result", std::string(ResultClassName(outcome.result_class()))},
            {"errcode", answered ? absl::StrCat(outcome.errcode) : std::string("none")}})
      .Increment();
  const auto count = [&](const char* kind, const std::vector<std::string>& ids) {
    for (const std::string& id : ids) {
      invalid_recipients_.Add({{"kind", kind}, {"recipient", id}}).Increment();
    }
  };
  count("user", outcome.invalid.users);
  count("party", outcome.invalid.parties);
  count("tag", outcome.invalid.tags);
  count("unlicensed_user", outcome.invalid.unlicensed_users);
  if (outcome.json_format_warning) {
    json_format_warnings_.Add({{"endpoint", std::string(endpoint)}}).Increment();
  }
}

void WeComMetrics::RecordDailyQuotaExhausted(int64_t agent_id) {
  daily_quota_exhausted_.Add({{"agent_id", absl::StrCat(agent_id)}}).Increment();
}

void WeComMetrics::RecordTokenRefresh(ResultClass result) {
  token_refreshes_.Add({{"result", std::string(ResultClassName(result))}}).Increment();
}

std::vector<prometheus::MetricFamily> TokenAgeCollector::Collect() const {
  prometheus::MetricFamily family;
  family.name = "wecom_notify_wecom_token_age_seconds";
  family.help = "Seconds since the cached WeCom access token of the app was fetched";
  family.type = prometheus::MetricType::Gauge;
  // One series per agent_id: if two corps use the same agent_id, the older token is shown.
  std::map<int64_t, double> ages;
  for (const TokenAge& t : tokens_.TokenAges()) {
    double& age = ages[t.agent_id];
    age = std::max(age, absl::ToDoubleSeconds(t.age));
  }
  for (const auto& [agent_id, age] : ages) {
    prometheus::ClientMetric m;
    m.label.push_back({"agent_id", absl::StrCat(agent_id)});
    m.gauge.value = age;
    family.metric.push_back(std::move(m));
  }
  return {std::move(family)};
}

void WeComMetrics::AddQueued(absl::string_view endpoint, double delta) {
  prometheus::Gauge& g = queue_depth_.Add({{"endpoint", std::string(endpoint)}});
  if (delta >= 0) {
    g.Increment(delta);
  } else {
    g.Decrement(-delta);
  }
}

void WeComMetrics::RecordRateLimitWait(absl::string_view endpoint, absl::Duration wait) {
  rate_limit_wait_.Add({{"endpoint", std::string(endpoint)}})
      .Increment(absl::ToDoubleSeconds(wait));
}

}  // namespace wecom_notify::wecom
