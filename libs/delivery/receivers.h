// File: libs/delivery/receivers.h
//
// Builds the dispatch pipeline's receivers from the configuration: one WeComIntegration per
// enabled wecom_configs / wecom_robot_configs entry, named "<kind>/<index>" so the notification
// log keys stay stable while other entries are added or disabled.
//
// The shared machinery (HTTP transport with its connection pools, token cache, rate limiters,
// metrics) lives in a Delivery object that outlives configuration reloads: new credentials
// apply to the next send, and tokens and rate-limit history carry over.

#ifndef WECOM_NOTIFY_LIBS_DELIVERY_RECEIVERS_H_
#define WECOM_NOTIFY_LIBS_DELIVERY_RECEIVERS_H_

#include <memory>

#include "absl/status/statusor.h"
#include "libs/common/clock.h"
#include "libs/config/config.h"
#include "libs/dispatch/pipeline.h"
#include "libs/render/renderer.h"
#include "libs/wecom/sender.h"
#include "libs/wecom/http_transport.h"
#include "libs/wecom/rate_limiter.h"
#include "libs/wecom/robot_sender.h"
#include "libs/wecom/send_queue.h"
#include "libs/wecom/token_cache.h"

namespace prometheus {
class Collectable;
class Registry;
}

namespace wecom_notify::wecom {
class WeComMetrics;
}

namespace wecom_notify::delivery {

class Delivery {
 public:
  // `transport` carries every WeCom request; `registry` (nullable) receives WeCom metrics.
  Delivery(Clock& clock, std::unique_ptr<wecom::HttpTransport> transport,
           prometheus::Registry* registry);
  ~Delivery();

  // wecom_notify_wecom_token_age_seconds, computed at scrape time; null without a registry.
  // Pass it to metrics::AddMetricsEndpoint next to the registry.
  std::shared_ptr<const prometheus::Collectable> token_age_collector() const {
    return token_ages_;
  }

  // Errors: InvalidArgument naming the receiver when a renderer option (time zone, language)
  // is invalid.
  absl::StatusOr<std::shared_ptr<const dispatch::Receivers>> BuildReceivers(
      const config::Config& config);

  // The sender and renderer BuildReceivers uses for one entry: the test-message and route-test
  // actions of the admin API send through them, so a test takes the real path.
  std::unique_ptr<wecom::Sender> MakeAppSender(const config::WeComAppConfig& c);
  std::unique_ptr<wecom::Sender> MakeRobotSender(const config::WeComRobotConfig& c);
  // Errors: InvalidArgument naming global.language / global.time_zone.
  static absl::StatusOr<std::shared_ptr<const render::Renderer>> MakeRenderer(
      const config::GlobalConfig& global, config::MessageType type);

 private:
  Clock& clock_;
  std::unique_ptr<wecom::HttpTransport> transport_;
  std::unique_ptr<wecom::WeComMetrics> metrics_;
  wecom::TokenCache tokens_;
  wecom::RateLimiter app_limiter_;
  wecom::RateLimiter robot_limiter_;
  wecom::InFlightLimiter robot_in_flight_;
  // Merges messages waiting for the same app recipients or robot (wecom/send_queue.h).
  wecom::SendQueue send_queue_;
  wecom::DailyQuota daily_quota_;
  std::shared_ptr<const prometheus::Collectable> token_ages_;
};

}  // namespace wecom_notify::delivery

#endif  // WECOM_NOTIFY_LIBS_DELIVERY_RECEIVERS_H_
