// File: libs/render/view.h
//
// Internal to libs/render: the facts both renderers show (counts, alert name, key labels,
// localized words, formatted times), computed once so the built-in layout and custom templates
// agree. Values returned here are NOT escaped.

#ifndef WECOM_NOTIFY_LIBS_RENDER_VIEW_H_
#define WECOM_NOTIFY_LIBS_RENDER_VIEW_H_

#include <string>
#include <utility>
#include <vector>

#include "libs/render/notification.h"
#include "libs/render/renderer.h"

namespace wecom_notify::render::internal {

struct Words {
  const char* firing;
  const char* resolved;
  const char* summary;
  const char* description;
  const char* started;
  const char* ended;
  const char* source;
  const char* alertmanager;
  const char* cluster;
  const char* namespace_;
  const char* pod;
  const char* instance;
};
const Words& WordsFor(Language language);

bool IsResolved(const Alert& alert);
int FiringCount(const NotificationGroup& group);
int ResolvedCount(const NotificationGroup& group);
// "[FIRING:2]", "[RESOLVED]", "[FIRING:2, RESOLVED:1]" in the language's words.
std::string StatusTag(const NotificationGroup& group, const Words& words);
// The group's alertname: group label, else common label, else the first alert's, else "".
std::string GroupAlertName(const NotificationGroup& group);
// cluster, namespace, then pod (or instance when there is no pod): (localized name, value).
std::vector<std::pair<std::string, std::string>> KeyLabels(const Alert& alert, const Words& words);
// FormatTime in the options' zone and format; "" for an unset (infinite) time.
std::string FormatTimeOrEmpty(absl::Time time, const RenderOptions& options);
// The annotation `name`, else "".
std::string Annotation(const Alert& alert, const char* name);

}  // namespace wecom_notify::render::internal

#endif  // WECOM_NOTIFY_LIBS_RENDER_VIEW_H_
