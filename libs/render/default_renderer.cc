#include "libs/render/default_renderer.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/render/escape.h"
#include "libs/render/view.h"

namespace wecom_notify::render {
namespace {

using internal::Words;

// WeCom markdown knows three colours: info (green), comment (grey), warning (orange-red).
const char* SeverityColor(const std::string& severity) {
  if (severity == "info" || severity == "none") return "comment";
  return "warning";
}

class Layout {
 public:
  Layout(const RenderOptions& options)
      : options_(options),
        words_(internal::WordsFor(options.language)),
        md_(options.format == Format::kMarkdown) {}

  std::string Esc(const std::string& value, bool multiline = false) const {
    return md_ ? EscapeMarkdown(value, multiline) : EscapeText(value, multiline);
  }

  std::string Header(const NotificationGroup& group) const {
    const std::string tag = internal::StatusTag(group, words_);
    const std::string name = Esc(internal::GroupAlertName(group));
    std::string out;
    if (md_) {
      const char* color = internal::FiringCount(group) > 0 ? "warning" : "info";
      out = absl::StrCat("<font color=\"", color, "\">**", tag, " ", name, "**</font>");
    } else {
      out = absl::StrCat(tag, " ", name);
    }
    std::vector<std::string> labels;
    for (const auto& [key, value] : group.group_labels) {
      if (key != "alertname") labels.push_back(absl::StrCat(Esc(key), "=", Esc(value)));
    }
    if (!labels.empty()) {
      absl::StrAppend(&out, "\n", md_ ? "> " : "", absl::StrJoin(labels, " "));
    }
    return out;
  }

  std::string AlertBlock(const Alert& alert) const {
    const bool resolved = internal::IsResolved(alert);
    auto name_it = alert.labels.find("alertname");
    const std::string name = Esc(name_it == alert.labels.end() ? "" : name_it->second);
    auto sev_it = alert.labels.find("severity");
    const std::string severity = sev_it == alert.labels.end() ? "" : sev_it->second;

    std::string tag = resolved ? words_.resolved : severity;
    std::string out;
    if (md_) {
      const char* color = resolved ? "info" : SeverityColor(severity);
      if (!tag.empty())
        absl::StrAppend(&out, "<font color=\"", color, "\">[", Esc(tag), "]</font> ");
      absl::StrAppend(&out, "**", name, "**");
    } else {
      if (!tag.empty()) absl::StrAppend(&out, "[", Esc(tag), "] ");
      absl::StrAppend(&out, name);
    }

    std::vector<std::string> keys;
    for (const auto& [label, value] : internal::KeyLabels(alert, words_)) {
      keys.push_back(absl::StrCat(label, ": ", Esc(value)));
    }
    if (!keys.empty()) absl::StrAppend(&out, "\n", md_ ? "> " : "", absl::StrJoin(keys, " | "));

    const std::string summary = internal::Annotation(alert, "summary");
    const std::string description = internal::Annotation(alert, "description");
    if (!summary.empty()) absl::StrAppend(&out, "\n", words_.summary, ": ", Esc(summary, true));
    if (!description.empty()) {
      absl::StrAppend(&out, "\n", words_.description, ": ", Esc(description, true));
    }
    const std::string started = internal::FormatTimeOrEmpty(alert.starts_at, options_);
    if (!started.empty()) absl::StrAppend(&out, "\n", words_.started, ": ", started);
    const std::string ended = resolved ? internal::FormatTimeOrEmpty(alert.ends_at, options_) : "";
    if (!ended.empty()) absl::StrAppend(&out, "\n", words_.ended, ": ", ended);
    const std::string url = SafeUrl(alert.generator_url);
    if (!url.empty()) {
      absl::StrAppend(&out, "\n",
                      md_ ? absl::StrCat("[", words_.source, "](", url, ")")
                          : absl::StrCat(words_.source, ": ", url));
    }
    return out;
  }

  std::string Footer(const NotificationGroup& group) const {
    const std::string url = SafeUrl(group.external_url);
    if (url.empty()) return "";
    return md_ ? absl::StrCat("[", words_.alertmanager, "](", url, ")")
               : absl::StrCat(words_.alertmanager, ": ", url);
  }

 private:
  const RenderOptions& options_;
  const Words& words_;
  const bool md_;
};

}  // namespace

absl::StatusOr<RenderedMessage> DefaultRenderer::Render(const NotificationGroup& group) const {
  const Layout layout(options_);
  RenderedMessage out;
  out.header = layout.Header(group);
  out.alerts.reserve(group.alerts.size());
  for (const Alert& alert : group.alerts) out.alerts.push_back(layout.AlertBlock(alert));
  out.footer = layout.Footer(group);
  return out;
}

}  // namespace wecom_notify::render
