#include "libs/delivery/receivers.h"

#include "absl/strings/str_cat.h"
#include "libs/delivery/wecom_integration.h"
#include "libs/render/default_renderer.h"
#include "libs/wecom/app_message_sender.h"
#include "libs/wecom/metrics.h"

namespace wecom_notify::delivery {
namespace {

wecom::MessageFormat ToFormat(config::MessageType type) {
  return type == config::MessageType::kText ? wecom::MessageFormat::kText
                                            : wecom::MessageFormat::kMarkdown;
}

render::Format ToRenderFormat(config::MessageType type) {
  return type == config::MessageType::kText ? render::Format::kText : render::Format::kMarkdown;
}

wecom::TokenCache::Options TokenOptions(wecom::WeComMetrics* metrics) {
  wecom::TokenCache::Options options;
  options.metrics = metrics;
  return options;
}

}  // namespace

Delivery::Delivery(Clock& clock, std::unique_ptr<wecom::HttpTransport> transport,
                   prometheus::Registry* registry)
    : clock_(clock),
      transport_(std::move(transport)),
      metrics_(registry ? std::make_unique<wecom::WeComMetrics>(*registry) : nullptr),
      tokens_(*transport_, clock_, TokenOptions(metrics_.get())),
      app_limiter_(wecom::AppMessageLimits(), wecom::kArrivalGuard),
      robot_limiter_(wecom::RobotLimits(), wecom::kArrivalGuard),
      robot_in_flight_(2),
      send_queue_(clock_, metrics_.get()),
      token_ages_(registry ? std::make_shared<wecom::TokenAgeCollector>(tokens_) : nullptr) {}

Delivery::~Delivery() = default;

std::unique_ptr<wecom::Sender> Delivery::MakeAppSender(const config::WeComAppConfig& c) {
  wecom::AppConfig app;
  app.credentials.api_url = c.api_url;
  app.credentials.corp_id = c.corp_id;
  app.credentials.secret = c.api_secret;
  app.credentials.proxy_url = c.proxy_url;
  app.credentials.proxy_from_environment = c.proxy_from_environment;
  app.agent_id = c.agent_id;
  app.account_limit = c.account_limit;
  wecom::Recipients to{c.to_user, c.to_party, c.to_tag};
  wecom::AppMessageSender::Deps deps;
  deps.transport = transport_.get();
  deps.tokens = &tokens_;
  deps.clock = &clock_;
  deps.limiter = &app_limiter_;
  deps.metrics = metrics_.get();
  deps.queue = &send_queue_;
  deps.quota = &daily_quota_;
  return std::make_unique<wecom::AppMessageSender>(std::move(app), std::move(to), deps);
}

std::unique_ptr<wecom::Sender> Delivery::MakeRobotSender(const config::WeComRobotConfig& c) {
  wecom::RobotConfig robot;
  robot.webhook_url = absl::StrCat(c.api_url, "webhook/send");
  robot.key = c.webhook_key;
  robot.proxy_url = c.proxy_url;
  robot.proxy_from_environment = c.proxy_from_environment;
  robot.mentioned_users = c.mentioned_list;
  robot.mentioned_mobiles = c.mentioned_mobile_list;
  wecom::RobotSender::Deps deps;
  deps.transport = transport_.get();
  deps.clock = &clock_;
  deps.limiter = &robot_limiter_;
  deps.in_flight = &robot_in_flight_;
  deps.metrics = metrics_.get();
  deps.queue = &send_queue_;
  return std::make_unique<wecom::RobotSender>(std::move(robot), deps);
}

absl::StatusOr<std::shared_ptr<const render::Renderer>> Delivery::MakeRenderer(
    const config::GlobalConfig& global, config::MessageType type) {
  auto language = render::ParseLanguage(global.language);
  if (!language.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("global.language: ", language.status().message()));
  }
  auto zone = render::LoadTimeZone(global.time_zone);
  if (!zone.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("global.time_zone: ", zone.status().message()));
  }
  render::RenderOptions options;
  options.language = *language;
  options.time_zone = *zone;
  options.format = ToRenderFormat(type);
  return std::make_shared<const render::DefaultRenderer>(options);
}

absl::StatusOr<std::shared_ptr<const dispatch::Receivers>> Delivery::BuildReceivers(
    const config::Config& config) {
  auto markdown = MakeRenderer(config.global, config::MessageType::kMarkdown);
  if (!markdown.ok()) return markdown.status();
  auto text = MakeRenderer(config.global, config::MessageType::kText);
  if (!text.ok()) return text.status();
  auto renderer_for = [&](config::MessageType type) {
    return type == config::MessageType::kText ? *text : *markdown;
  };

  auto receivers = std::make_shared<dispatch::Receivers>();
  for (const config::ReceiverConfig& receiver : config.receivers) {
    auto& integrations = (*receivers)[receiver.name];
    for (std::size_t i = 0; i < receiver.wecom_configs.size(); ++i) {
      const config::WeComAppConfig& c = receiver.wecom_configs[i];
      if (!c.enabled) continue;
      integrations.push_back(std::make_shared<WeComIntegration>(
          absl::StrCat("wecom_app/", i), c.send_resolved, ToFormat(c.message_type),
          renderer_for(c.message_type), MakeAppSender(c)));
    }
    for (std::size_t i = 0; i < receiver.robot_configs.size(); ++i) {
      const config::WeComRobotConfig& c = receiver.robot_configs[i];
      if (!c.enabled) continue;
      integrations.push_back(std::make_shared<WeComIntegration>(
          absl::StrCat("wecom_robot/", i), c.send_resolved, ToFormat(c.message_type),
          renderer_for(c.message_type), MakeRobotSender(c)));
    }
  }
  return std::shared_ptr<const dispatch::Receivers>(std::move(receivers));
}

}  // namespace wecom_notify::delivery
