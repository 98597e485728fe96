#include "libs/render/template_renderer.h"

#include <fstream>
#include <kainjow/mustache.hpp>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "libs/render/escape.h"
#include "libs/render/view.h"

namespace wecom_notify::render {
namespace {

namespace mustache = kainjow::mustache;
using mustache::data;

data PairList(const LabelSet& set) {
  data list{data::type::list};
  for (const auto& [name, value] : set) {
    data item{data::type::object};
    item.set("name", name);
    item.set("value", value);
    list.push_back(item);
  }
  return list;
}

data ObjectOf(const LabelSet& set) {
  data object{data::type::object};
  for (const auto& [name, value] : set) object.set(name, value);
  return object;
}

data AlertContext(const Alert& alert, const RenderOptions& options) {
  const internal::Words& words = internal::WordsFor(options.language);
  const bool resolved = internal::IsResolved(alert);
  data d{data::type::object};
  d.set("status", resolved ? "resolved" : "firing");
  d.set("status_text", resolved ? words.resolved : words.firing);
  d.set("is_firing", !resolved);
  d.set("is_resolved", resolved);
  auto label = [&](const char* name) {
    auto it = alert.labels.find(name);
    return it == alert.labels.end() ? std::string() : it->second;
  };
  d.set("alertname", label("alertname"));
  d.set("severity", label("severity"));
  d.set("summary", internal::Annotation(alert, "summary"));
  d.set("description", internal::Annotation(alert, "description"));
  d.set("starts_at", internal::FormatTimeOrEmpty(alert.starts_at, options));
  d.set("ends_at", resolved ? internal::FormatTimeOrEmpty(alert.ends_at, options) : "");
  d.set("generator_url", SafeUrl(alert.generator_url));
  d.set("fingerprint", alert.fingerprint);
  d.set("labels", ObjectOf(alert.labels));
  d.set("annotations", ObjectOf(alert.annotations));
  d.set("labels_list", PairList(alert.labels));
  d.set("annotations_list", PairList(alert.annotations));
  data keys{data::type::list};
  for (const auto& [name, value] : internal::KeyLabels(alert, words)) {
    data item{data::type::object};
    item.set("name", name);
    item.set("value", value);
    keys.push_back(item);
  }
  d.set("key_labels", keys);
  return d;
}

data GroupContext(const NotificationGroup& group, const RenderOptions& options) {
  const internal::Words& words = internal::WordsFor(options.language);
  const int firing = internal::FiringCount(group);
  data d{data::type::object};
  d.set("status", firing > 0 ? "firing" : "resolved");
  d.set("status_tag", internal::StatusTag(group, words));
  d.set("firing_count", std::to_string(firing));
  d.set("resolved_count", std::to_string(internal::ResolvedCount(group)));
  d.set("alert_count", std::to_string(group.alerts.size()));
  d.set("is_firing", firing > 0);
  d.set("is_resolved", firing == 0);
  d.set("receiver", group.receiver);
  d.set("alertname", internal::GroupAlertName(group));
  d.set("external_url", SafeUrl(group.external_url));
  d.set("group_labels", PairList(group.group_labels));
  d.set("common_labels", PairList(group.common_labels));
  d.set("common_annotations", PairList(group.common_annotations));
  data alerts{data::type::list};
  for (const Alert& alert : group.alerts) alerts.push_back(AlertContext(alert, options));
  d.set("alerts", alerts);
  return d;
}

// A group with one firing and one resolved alert, every field set, used to trial-render templates
// at load so that render-time failures show up there.
NotificationGroup SampleGroup() {
  NotificationGroup g;
  g.status = "firing";
  g.receiver = "sample";
  g.group_labels = {{"alertname", "SampleAlert"}};
  g.common_labels = {{"alertname", "SampleAlert"}, {"severity", "critical"}};
  g.common_annotations = {{"summary", "sample"}};
  g.external_url = "http://alertmanager.example:9093";
  Alert a;
  a.status = "firing";
  a.labels = {{"alertname", "SampleAlert"},
              {"severity", "critical"},
              {"namespace", "default"},
              {"pod", "sample-0"},
              {"cluster", "sample"}};
  a.annotations = {{"summary", "sample summary"}, {"description", "sample description"}};
  a.starts_at = absl::FromUnixSeconds(1700000000);
  a.generator_url = "http://prometheus.example:9090/graph";
  a.fingerprint = "0123456789abcdef";
  g.alerts.push_back(a);
  a.status = "resolved";
  a.ends_at = absl::FromUnixSeconds(1700000600);
  g.alerts.push_back(a);
  return g;
}

}  // namespace

struct TemplateRenderer::Compiled {
  std::unique_ptr<mustache::mustache> header, alert, footer;  // footer may be null
};

namespace {

absl::StatusOr<std::unique_ptr<mustache::mustache>> Compile(const std::string& source,
                                                            const std::string& what,
                                                            Format format) {
  auto tmpl = std::make_unique<mustache::mustache>(source);
  if (!tmpl->is_valid()) {
    return absl::InvalidArgumentError(absl::StrCat("template ", what, ": ", tmpl->error_message()));
  }
  if (format == Format::kMarkdown) {
    tmpl->set_custom_escape([](const std::string& s) { return EscapeMarkdown(s); });
  } else {
    tmpl->set_custom_escape([](const std::string& s) { return EscapeText(s); });
  }
  return tmpl;
}

absl::StatusOr<std::string> Run(mustache::mustache& tmpl, const data& context, const char* what) {
  std::string out;
  try {
    out = tmpl.render(context);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("template ", what, ": ", e.what()));
  }
  if (!tmpl.is_valid()) {
    return absl::InternalError(absl::StrCat("template ", what, ": ", tmpl.error_message()));
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("template ", path, ": cannot read file"));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TemplateRenderer::TemplateRenderer(std::unique_ptr<Compiled> compiled, RenderOptions options)
    : options_(std::move(options)), compiled_(std::move(compiled)) {}

TemplateRenderer::~TemplateRenderer() = default;

absl::StatusOr<std::unique_ptr<TemplateRenderer>> TemplateRenderer::FromStrings(
    const TemplateSources& sources, RenderOptions options) {
  return FromNamedStrings(sources, {"header", "alert", "footer"}, std::move(options));
}

absl::StatusOr<std::unique_ptr<TemplateRenderer>> TemplateRenderer::FromNamedStrings(
    const TemplateSources& sources, const TemplateFiles& names, RenderOptions options) {
  auto compiled = std::make_unique<Compiled>();
  auto header = Compile(sources.header, names.header_path, options.format);
  if (!header.ok()) return header.status();
  auto alert = Compile(sources.alert, names.alert_path, options.format);
  if (!alert.ok()) return alert.status();
  compiled->header = *std::move(header);
  compiled->alert = *std::move(alert);
  if (!sources.footer.empty()) {
    auto footer = Compile(sources.footer, names.footer_path, options.format);
    if (!footer.ok()) return footer.status();
    compiled->footer = *std::move(footer);
  }
  std::unique_ptr<TemplateRenderer> renderer(
      new TemplateRenderer(std::move(compiled), std::move(options)));
  // Trial render: whatever fails here would otherwise fail at send time.
  absl::StatusOr<RenderedMessage> trial = renderer->Render(SampleGroup());
  if (!trial.ok()) return absl::InvalidArgumentError(trial.status().message());
  return renderer;
}

absl::StatusOr<std::unique_ptr<TemplateRenderer>> TemplateRenderer::Load(const TemplateFiles& files,
                                                                         RenderOptions options) {
  if (files.header_path.empty() || files.alert_path.empty()) {
    return absl::InvalidArgumentError("templates: header and alert template files are required");
  }
  TemplateSources sources;
  auto header = ReadFile(files.header_path);
  if (!header.ok()) return header.status();
  auto alert = ReadFile(files.alert_path);
  if (!alert.ok()) return alert.status();
  sources.header = *std::move(header);
  sources.alert = *std::move(alert);
  if (!files.footer_path.empty()) {
    auto footer = ReadFile(files.footer_path);
    if (!footer.ok()) return footer.status();
    sources.footer = *std::move(footer);
  }
  return FromNamedStrings(sources, files, std::move(options));
}

absl::StatusOr<RenderedMessage> TemplateRenderer::Render(const NotificationGroup& group) const {
  const data context = GroupContext(group, options_);
  absl::MutexLock lock(&mu_);
  RenderedMessage out;
  absl::StatusOr<std::string> header = Run(*compiled_->header, context, "header");
  if (!header.ok()) return header.status();
  out.header = *std::move(header);
  const data& alerts = *context.get("alerts");
  for (const data& alert : alerts.list_value()) {
    absl::StatusOr<std::string> block = Run(*compiled_->alert, alert, "alert");
    if (!block.ok()) return block.status();
    out.alerts.push_back(*std::move(block));
  }
  if (compiled_->footer != nullptr) {
    absl::StatusOr<std::string> footer = Run(*compiled_->footer, context, "footer");
    if (!footer.ok()) return footer.status();
    out.footer = *std::move(footer);
  }
  return out;
}

}  // namespace wecom_notify::render
