#include "libs/delivery/wecom_integration.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/alert/fingerprint.h"
#include "libs/wecom/message_splitter.h"

namespace wecom_notify::delivery {
namespace {

render::LabelSet ToMap(const alert::LabelSet& set) {
  render::LabelSet out;
  for (const auto& label : set) out.emplace(std::string(label.name), std::string(label.value));
  return out;
}

// The pairs present with the same value in every set.
render::LabelSet Common(const std::vector<const alert::LabelSet*>& sets) {
  render::LabelSet out;
  if (sets.empty()) return out;
  for (const auto& label : *sets.front()) {
    bool everywhere = true;
    for (const alert::LabelSet* s : sets) {
      const std::optional<absl::string_view> v = s->Get(label.name);
      if (!v.has_value() || *v != label.value) {
        everywhere = false;
        break;
      }
    }
    if (everywhere) out.emplace(std::string(label.name), std::string(label.value));
  }
  return out;
}

}  // namespace

render::NotificationGroup ToRenderGroup(const dispatch::Notification& n) {
  render::NotificationGroup group;
  group.receiver = n.receiver;
  group.group_labels = ToMap(n.group_labels);
  std::vector<const alert::LabelSet*> labels, annotations;
  bool any_firing = false;
  for (const alert::Alert& a : n.alerts) {
    render::Alert out;
    const bool resolved = a.ResolvedAt(n.now);
    any_firing |= !resolved;
    out.status = resolved ? "resolved" : "firing";
    out.labels = ToMap(a.labels);
    out.annotations = ToMap(a.annotations);
    out.starts_at = a.starts_at;
    if (resolved) out.ends_at = a.ends_at;
    out.generator_url = a.generator_url.str();
    out.fingerprint = alert::FingerprintToHex(a.fingerprint);
    group.alerts.push_back(std::move(out));
    labels.push_back(&a.labels);
    annotations.push_back(&a.annotations);
  }
  group.status = any_firing ? "firing" : "resolved";
  group.common_labels = Common(labels);
  group.common_annotations = Common(annotations);
  return group;
}

WeComIntegration::WeComIntegration(std::string name, bool send_resolved,
                                   wecom::MessageFormat format,
                                   std::shared_ptr<const render::Renderer> renderer,
                                   std::unique_ptr<wecom::Sender> sender)
    : name_(std::move(name)),
      send_resolved_(send_resolved),
      format_(format),
      renderer_(std::move(renderer)),
      sender_(std::move(sender)) {}

absl::Status WeComIntegration::Notify(const dispatch::Notification& notification) {
  auto rendered = renderer_->Render(ToRenderGroup(notification));
  if (!rendered.ok()) return rendered.status();
  wecom::SplitOptions split;
  split.max_bytes = sender_->MaxContentBytes(format_);
  // Mentions go into the first part only: a split notification pings people once.
  return wecom::SendParts(
      *sender_, format_,
      wecom::SplitMessage(rendered->header, rendered->alerts, rendered->footer, split), nullptr);
}

}  // namespace wecom_notify::delivery
