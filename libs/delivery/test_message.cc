#include "libs/delivery/test_message.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/delivery/wecom_integration.h"
#include "libs/wecom/message_splitter.h"

namespace wecom_notify::delivery {
namespace {

wecom::MessageFormat ToFormat(config::MessageType type) {
  return type == config::MessageType::kText ? wecom::MessageFormat::kText
                                            : wecom::MessageFormat::kMarkdown;
}

// Sends `notification` through `sender` as WeComIntegration::Notify does.
absl::Status RenderAndSend(const render::Renderer& renderer, wecom::Sender& sender,
                           wecom::MessageFormat format,
                           const dispatch::Notification& notification,
                           wecom::SendReport* report) {
  auto rendered = renderer.Render(ToRenderGroup(notification));
  if (!rendered.ok()) return rendered.status();
  wecom::SplitOptions split;
  split.max_bytes = sender.MaxContentBytes(format);
  return wecom::SendParts(
      sender, format,
      wecom::SplitMessage(rendered->header, rendered->alerts, rendered->footer, split), report);
}

}  // namespace

std::vector<DestinationResult> SendTestMessage(Delivery& delivery,
                                               const config::ReceiverConfig& receiver,
                                               const std::string& text, int only_index) {
  std::vector<DestinationResult> out;
  for (std::size_t i = 0; i < receiver.wecom_configs.size(); ++i) {
    if (only_index >= 0 && static_cast<std::size_t>(only_index) != i) continue;
    const config::WeComAppConfig& c = receiver.wecom_configs[i];
    DestinationResult r;
    r.integration = absl::StrCat("wecom_app/", i);
    r.enabled = c.enabled;
    r.attempted = true;
    r.status = delivery.MakeAppSender(c)->Send(ToFormat(c.message_type), text, &r.report);
    out.push_back(std::move(r));
  }
  if (only_index >= 0) return out;
  for (std::size_t i = 0; i < receiver.robot_configs.size(); ++i) {
    const config::WeComRobotConfig& c = receiver.robot_configs[i];
    DestinationResult r;
    r.integration = absl::StrCat("wecom_robot/", i);
    r.enabled = c.enabled;
    r.attempted = true;
    r.status = delivery.MakeRobotSender(c)->Send(ToFormat(c.message_type), text, &r.report);
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<DestinationResult> SendNotification(Delivery& delivery,
                                                const config::GlobalConfig& global,
                                                const config::ReceiverConfig& receiver,
                                                const dispatch::Notification& notification) {
  std::vector<DestinationResult> out;
  auto send = [&](std::string name, bool enabled, config::MessageType type,
                  std::unique_ptr<wecom::Sender> sender) {
    DestinationResult r;
    r.integration = std::move(name);
    r.enabled = enabled;
    if (enabled) {
      r.attempted = true;
      auto renderer = Delivery::MakeRenderer(global, type);
      r.status = renderer.ok() ? RenderAndSend(**renderer, *sender, ToFormat(type), notification,
                                               &r.report)
                               : renderer.status();
    }
    out.push_back(std::move(r));
  };
  for (std::size_t i = 0; i < receiver.wecom_configs.size(); ++i) {
    const config::WeComAppConfig& c = receiver.wecom_configs[i];
    send(absl::StrCat("wecom_app/", i), c.enabled, c.message_type,
         c.enabled ? delivery.MakeAppSender(c) : nullptr);
  }
  for (std::size_t i = 0; i < receiver.robot_configs.size(); ++i) {
    const config::WeComRobotConfig& c = receiver.robot_configs[i];
    send(absl::StrCat("wecom_robot/", i), c.enabled, c.message_type,
         c.enabled ? delivery.MakeRobotSender(c) : nullptr);
  }
  return out;
}

}  // namespace wecom_notify::delivery
