// File: libs/render/renderer.h
//
// Renderer turns a NotificationGroup into a RenderedMessage (header, one block per alert,
// footer) for one WeCom message format. Two implementations: DefaultRenderer (built-in zh-CN and
// en layouts, default_renderer.h) and TemplateRenderer (operator Mustache templates,
// template_renderer.h).
//
// Every label and annotation value is escaped for the target format (escape.h), so an alert
// cannot inject markdown links, mentions or tags; URLs are restricted to http(s).
//
// Thread-safety: implementations are safe for concurrent use.

#ifndef WECOM_NOTIFY_LIBS_RENDER_RENDERER_H_
#define WECOM_NOTIFY_LIBS_RENDER_RENDERER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/render/notification.h"

namespace wecom_notify::render {

enum class Language { kZhCN, kEn };

enum class Format {
  kMarkdown,  // WeCom clients
  kText,      // also readable in personal WeChat, where markdown does not render
};

struct RenderOptions {
  Language language = Language::kZhCN;
  Format format = Format::kMarkdown;
  absl::TimeZone time_zone = absl::FixedTimeZone(8 * 3600);  // use LoadTimeZone("Asia/Shanghai")
  std::string time_format = "%Y-%m-%d %H:%M:%S %Z";          // absl::FormatTime syntax
};

// Parses "zh-CN" / "zh" / "en" / "en-US" (case-insensitive). Errors: kInvalidArgument.
absl::StatusOr<Language> ParseLanguage(absl::string_view name);

// LoadTimeZone()
//
// Loads an IANA zone from the system's tzdata ("Asia/Shanghai", "UTC"). China has had no DST
// since 1991, so if tzdata is missing "Asia/Shanghai", "Asia/Chongqing", "PRC" fall back to a
// fixed UTC+8 and "UTC" to UTC. Errors: kNotFound for any other zone tzdata lacks.
absl::StatusOr<absl::TimeZone> LoadTimeZone(absl::string_view name);

class Renderer {
 public:
  virtual ~Renderer() = default;

  // Render()
  //
  // Errors: kInternal if a template fails while rendering (TemplateRenderer only; templates are
  // trial-rendered at load, so this signals a bug).
  virtual absl::StatusOr<RenderedMessage> Render(const NotificationGroup& group) const = 0;
};

}  // namespace wecom_notify::render

#endif  // WECOM_NOTIFY_LIBS_RENDER_RENDERER_H_
