// File: libs/delivery/test_message.h
//
// One-off sends for the admin API: a test message to a receiver's WeCom destinations, and a
// synthetic notification rendered and sent as the dispatch pipeline would. Both build their
// senders and renderers with the same Delivery functions BuildReceivers uses (same transport,
// token cache, rate limiters, metrics), so a test takes the real path; neither touches the
// notification log or the alert store.

#ifndef WECOM_NOTIFY_LIBS_DELIVERY_TEST_MESSAGE_H_
#define WECOM_NOTIFY_LIBS_DELIVERY_TEST_MESSAGE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "libs/config/config.h"
#include "libs/delivery/receivers.h"
#include "libs/dispatch/integration.h"
#include "libs/wecom/sender.h"

namespace wecom_notify::delivery {

// What one destination ("wecom_app/0", "wecom_robot/1") of a receiver answered.
struct DestinationResult {
  std::string integration;   // "<kind>/<index within the receiver>", as the pipeline names it
  bool enabled = true;       // the entry's enabled flag
  bool attempted = false;    // false: not sent (disabled in a route test)
  absl::Status status;       // the sender's final status (OK: WeCom accepted every request)
  wecom::SendReport report;  // per request errcode / errmsg / hint, invalid recipients
};

// Sends `text` (a test message) to each destination of `receiver`, disabled ones included
// (enabled is reported), or only to `only_index` of the app entries when >= 0.
std::vector<DestinationResult> SendTestMessage(Delivery& delivery,
                                               const config::ReceiverConfig& receiver,
                                               const std::string& text, int only_index = -1);

// Renders `notification` with each enabled destination's renderer, splits it and sends every
// part, exactly as WeComIntegration::Notify does, but keeping the report. Disabled
// destinations are listed with attempted = false.
std::vector<DestinationResult> SendNotification(Delivery& delivery,
                                                const config::GlobalConfig& global,
                                                const config::ReceiverConfig& receiver,
                                                const dispatch::Notification& notification);

}  // namespace wecom_notify::delivery

#endif  // WECOM_NOTIFY_LIBS_DELIVERY_TEST_MESSAGE_H_
