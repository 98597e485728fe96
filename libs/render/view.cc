#include "libs/render/view.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace wecom_notify::render::internal {

const Words& WordsFor(Language language) {
  static const Words kEn = {"FIRING",  "RESOLVED",  "Summary", "Description",
                            "Started", "Ended",     "Source",  "View in Alertmanager",
                            "cluster", "namespace", "pod",     "instance"};
  static const Words kZh = {"告警中",   "已恢复",   "摘要",     "详情",
                            "开始时间", "结束时间", "查看来源", "在 Alertmanager 中查看",
                            "集群",     "命名空间", "Pod",      "实例"};
  return language == Language::kEn ? kEn : kZh;
}

bool IsResolved(const Alert& alert) { return absl::AsciiStrToLower(alert.status) == "resolved"; }

int FiringCount(const NotificationGroup& group) {
  int n = 0;
  for (const Alert& a : group.alerts) n += IsResolved(a) ? 0 : 1;
  return n;
}

int ResolvedCount(const NotificationGroup& group) {
  return static_cast<int>(group.alerts.size()) - FiringCount(group);
}

std::string StatusTag(const NotificationGroup& group, const Words& words) {
  const int firing = FiringCount(group);
  const int resolved = ResolvedCount(group);
  if (firing == 0) return absl::StrCat("[", words.resolved, "]");
  if (resolved == 0) return absl::StrCat("[", words.firing, ":", firing, "]");
  return absl::StrCat("[", words.firing, ":", firing, ", ", words.resolved, ":", resolved, "]");
}

std::string GroupAlertName(const NotificationGroup& group) {
  for (const LabelSet* set : {&group.group_labels, &group.common_labels}) {
    auto it = set->find("alertname");
    if (it != set->end()) return it->second;
  }
  if (!group.alerts.empty()) {
    auto it = group.alerts.front().labels.find("alertname");
    if (it != group.alerts.front().labels.end()) return it->second;
  }
  return "";
}

std::vector<std::pair<std::string, std::string>> KeyLabels(const Alert& alert, const Words& words) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto add = [&](const char* label, const char* name) {
    auto it = alert.labels.find(label);
    if (it == alert.labels.end() || it->second.empty()) return false;
    out.emplace_back(name, it->second);
    return true;
  };
  add("cluster", words.cluster);
  add("namespace", words.namespace_);
  if (!add("pod", words.pod)) add("instance", words.instance);
  return out;
}

std::string FormatTimeOrEmpty(absl::Time time, const RenderOptions& options) {
  if (time == absl::InfinitePast() || time == absl::InfiniteFuture()) return "";
  return absl::FormatTime(options.time_format, time, options.time_zone);
}

std::string Annotation(const Alert& alert, const char* name) {
  auto it = alert.annotations.find(name);
  return it == alert.annotations.end() ? "" : it->second;
}

}  // namespace wecom_notify::render::internal
