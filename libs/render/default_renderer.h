// File: libs/render/default_renderer.h
//
// DefaultRenderer: the built-in layouts, zh-CN and en, markdown and text.
//
//   header  status with counts ("[FIRING:2] HighCPU", "[告警中:2] HighCPU", "[RESOLVED] ..."), then
//           the group labels other than alertname
//   alert   status/severity and alertname; key labels (cluster, namespace, pod or else
//           instance); summary and description annotations; start (and, when resolved, end)
//           time in the configured zone; a link to the alert's source (generator_url)
//   footer  a link to Alertmanager (external_url), if any
//
// Thread-safety: immutable after construction; safe for concurrent use.

#ifndef WECOM_NOTIFY_LIBS_RENDER_DEFAULT_RENDERER_H_
#define WECOM_NOTIFY_LIBS_RENDER_DEFAULT_RENDERER_H_

#include "libs/render/renderer.h"

namespace wecom_notify::render {

class DefaultRenderer : public Renderer {
 public:
  explicit DefaultRenderer(RenderOptions options) : options_(std::move(options)) {}

  // Never fails.
  absl::StatusOr<RenderedMessage> Render(const NotificationGroup& group) const override;

 private:
  const RenderOptions options_;
};

}  // namespace wecom_notify::render

#endif  // WECOM_NOTIFY_LIBS_RENDER_DEFAULT_RENDERER_H_
