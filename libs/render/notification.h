// File: libs/render/notification.h
//
// The input of rendering: one group notification (what Alertmanager posts to a webhook, in plain
// C++ types, with no dependency on how it was received) and the output: a header, one block per
// alert and a footer, so the WeCom splitter can cut between alerts.

#ifndef WECOM_NOTIFY_LIBS_RENDER_NOTIFICATION_H_
#define WECOM_NOTIFY_LIBS_RENDER_NOTIFICATION_H_

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace wecom_notify::render {

using LabelSet = std::map<std::string, std::string>;

struct Alert {
  std::string status;  // "firing" or "resolved"
  LabelSet labels;
  LabelSet annotations;
  absl::Time starts_at = absl::InfinitePast();  // InfinitePast: unknown
  absl::Time ends_at = absl::InfinitePast();    // shown for resolved alerts only
  std::string generator_url;                    // link to the alert's source (e.g. Prometheus)
  std::string fingerprint;
};

struct NotificationGroup {
  std::string status;  // "firing" if any alert fires, else "resolved"
  std::string receiver;
  LabelSet group_labels;
  LabelSet common_labels;
  LabelSet common_annotations;
  std::vector<Alert> alerts;
  std::string external_url;  // Alertmanager's external URL
};

// Rendered content: the WeCom message is header + alerts + footer joined by newlines; the
// splitter (libs/wecom/message_splitter.h) repeats the header in each part.
struct RenderedMessage {
  std::string header;
  std::vector<std::string> alerts;  // one block per alert, in input order
  std::string footer;
};

}  // namespace wecom_notify::render

#endif  // WECOM_NOTIFY_LIBS_RENDER_NOTIFICATION_H_
