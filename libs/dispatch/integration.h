// File: libs/dispatch/integration.h
//
// An Integration delivers notifications of one receiver through one channel (a WeCom app
// message configuration, a WeCom group robot). The dispatch pipeline decides *whether* to notify
// (notification log) and retries; an Integration only renders and sends, once.
//
// Thread-safety: Notify may be called concurrently for different groups.

#ifndef WECOM_NOTIFY_LIBS_DISPATCH_INTEGRATION_H_
#define WECOM_NOTIFY_LIBS_DISPATCH_INTEGRATION_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/alert/alert.h"
#include "libs/nflog/notification_log.h"

namespace wecom_notify::dispatch {

struct Notification {
  std::string receiver;
  std::string group_key;
  alert::LabelSet group_labels;
  // Sorted for display; resolved alerts are included only when the integration sends resolved
  // notices. An alert is resolved iff alert.ResolvedAt(now).
  std::vector<alert::Alert> alerts;
  absl::Time now;
  nflog::Reason reason;
  // Same for a resend of the same content (so WeCom's duplicate check hides a resend after a
  // lost answer) and different for different content.
  std::string dedup_id;

  std::size_t firing_count() const;
};

class Integration {
 public:
  virtual ~Integration() = default;

  // "<kind>/<index within the receiver>", e.g. "wecom_app/0"; part of the notification-log key.
  virtual const std::string& name() const = 0;
  virtual bool send_resolved() const = 0;

  // Notify()
  //
  // Sends once. OK when the channel accepted the message. Retryable failures — the pipeline
  // tries again with backoff until the flush deadline — are Unavailable, DeadlineExceeded and
  // ResourceExhausted; any other code is permanent for this flush (bad credentials, content
  // refused) and is retried only at the group's next tick.
  virtual absl::Status Notify(const Notification& notification) = 0;
};

// True for the codes Notify() uses for retryable failures.
bool IsRetryable(const absl::Status& status);

}  // namespace wecom_notify::dispatch

#endif  // WECOM_NOTIFY_LIBS_DISPATCH_INTEGRATION_H_
