// File: libs/render/template_renderer.h
//
// TemplateRenderer renders with operator-supplied Mustache templates (kainjow/mustache): one for
// the header, one applied to each alert, and an optional footer, so the WeCom splitter can still
// cut between alerts.
//
// `{{name}}` is escaped for the target format (EscapeMarkdown / EscapeText: an alert cannot inject
// links or mentions); `{{{name}}}` is inserted raw -- use it only for text the operator controls.
// URLs (generator_url, external_url) are pre-filtered by SafeUrl(). status_tag is our own text
// with brackets ("[FIRING:2]"): in markdown write {{{status_tag}}}, or its brackets are escaped.
//
// Header and footer see:
//   status ("firing"/"resolved"), status_tag ("[FIRING:2]" localized), firing_count,
//   resolved_count, alert_count, is_firing, is_resolved, receiver, alertname, external_url,
//   group_labels / common_labels / common_annotations (each a list of {name, value}),
//   alerts (the list of per-alert contexts below)
// Each alert sees:
//   status, status_text (localized), is_firing, is_resolved, alertname, severity, summary,
//   description, starts_at, ends_at (resolved only; formatted in the configured zone),
//   generator_url, fingerprint, labels.<name>, annotations.<name>, labels_list,
//   annotations_list, key_labels (lists of {name, value})
//
// Trailing newlines of each rendered piece are removed (template files usually end with one).
//
// Errors surface at load: a syntax error, an unreadable file, or a failure while trial-rendering
// a sample group is reported by Load() / FromStrings(), never at send time.
//
// Thread-safety: safe for concurrent use (rendering is serialized internally).

#ifndef WECOM_NOTIFY_LIBS_RENDER_TEMPLATE_RENDERER_H_
#define WECOM_NOTIFY_LIBS_RENDER_TEMPLATE_RENDERER_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "libs/render/renderer.h"

namespace wecom_notify::render {

struct TemplateFiles {
  std::string header_path;  // required
  std::string alert_path;   // required
  std::string footer_path;  // optional
};

struct TemplateSources {
  std::string header;
  std::string alert;
  std::string footer;
};

class TemplateRenderer : public Renderer {
 public:
  // Load()
  //
  // Reads and compiles the files named in `files`. Errors: kInvalidArgument naming the file and
  // the problem ("template /etc/x/alert.mustache: Unclosed section \"labels\" at 12"), kNotFound
  // when a required file cannot be read.
  static absl::StatusOr<std::unique_ptr<TemplateRenderer>> Load(const TemplateFiles& files,
                                                                RenderOptions options);
  // FromStrings()
  //
  // Same as Load() for templates already in memory; errors name "header", "alert" or "footer".
  static absl::StatusOr<std::unique_ptr<TemplateRenderer>> FromStrings(
      const TemplateSources& sources, RenderOptions options);

  ~TemplateRenderer() override;

  absl::StatusOr<RenderedMessage> Render(const NotificationGroup& group) const override;

 private:
  struct Compiled;  // keeps <kainjow/mustache.hpp> out of this header
  TemplateRenderer(std::unique_ptr<Compiled> compiled, RenderOptions options);
  // `names` supplies the names errors use for each template.
  static absl::StatusOr<std::unique_ptr<TemplateRenderer>> FromNamedStrings(
      const TemplateSources& sources, const TemplateFiles& names, RenderOptions options);

  const RenderOptions options_;
  mutable absl::Mutex mu_;
  std::unique_ptr<Compiled> compiled_ ABSL_GUARDED_BY(mu_);
};

}  // namespace wecom_notify::render

#endif  // WECOM_NOTIFY_LIBS_RENDER_TEMPLATE_RENDERER_H_
