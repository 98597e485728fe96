// File: libs/delivery/wecom_integration.h
//
// WeComIntegration is a dispatch::Integration that delivers through a wecom::Sender (an app's
// recipients, or a group robot): it renders the notification (libs/render), splits the result
// on alert boundaries to WeCom's byte limit (wecom::SplitMessage), and sends each part.
//
// A retried flush re-renders the same content for the same alerts, so parts already delivered
// before a failure are re-sent byte-identical and WeCom's duplicate check hides them.
//
// Thread-safety: Notify may be called concurrently (renderer and sender are thread-safe).

#ifndef WECOM_NOTIFY_LIBS_DELIVERY_WECOM_INTEGRATION_H_
#define WECOM_NOTIFY_LIBS_DELIVERY_WECOM_INTEGRATION_H_

#include <memory>
#include <string>

#include "libs/dispatch/integration.h"
#include "libs/render/renderer.h"
#include "libs/wecom/sender.h"

namespace wecom_notify::delivery {

class WeComIntegration : public dispatch::Integration {
 public:
  WeComIntegration(std::string name, bool send_resolved, wecom::MessageFormat format,
                   std::shared_ptr<const render::Renderer> renderer,
                   std::unique_ptr<wecom::Sender> sender);

  const std::string& name() const override { return name_; }
  bool send_resolved() const override { return send_resolved_; }
  absl::Status Notify(const dispatch::Notification& notification) override;

 private:
  std::string name_;
  bool send_resolved_;
  wecom::MessageFormat format_;
  std::shared_ptr<const render::Renderer> renderer_;
  std::unique_ptr<wecom::Sender> sender_;
};

// The renderer's view of a notification: statuses judged at the flush time, common labels and
// annotations computed over the alerts shown.
render::NotificationGroup ToRenderGroup(const dispatch::Notification& notification);

}  // namespace wecom_notify::delivery

#endif  // WECOM_NOTIFY_LIBS_DELIVERY_WECOM_INTEGRATION_H_
