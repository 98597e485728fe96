// File: libs/render/escape.h
//
// Escaping of alert data (labels, annotations, URLs) before it enters a WeCom message, so an
// alert cannot inject markdown links, <@userid> mentions, <font> tags, <a href> links, headings
// or quotes. WeCom documents no escape syntax (a backslash may show literally), so the active
// characters are replaced by their full-width look-alikes: < > [ ] * ` become ＜ ＞ ［ ］ ＊ ˋ.
// The text stays readable; nothing in it is markup any more.
//
// Thread-safety: pure functions.

#ifndef WECOM_NOTIFY_LIBS_RENDER_ESCAPE_H_
#define WECOM_NOTIFY_LIBS_RENDER_ESCAPE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace wecom_notify::render {

// For WeCom markdown. Replaces < > [ ] * ` and the entity starts "&lt;" "&gt;" "&#" (& -> ＆);
// a # or > at the start of a line cannot start a heading or quote. Newlines are kept when
// `multiline`, else each CR/LF/TAB becomes a space.
std::string EscapeMarkdown(absl::string_view value, bool multiline = false);

// For WeCom text messages, which honour only <a href="...">: replaces < and >, and the entity
// starts as above. Newlines are kept when `multiline`, else become spaces.
std::string EscapeText(absl::string_view value, bool multiline = false);

// `url` if it is an http(s) URL, percent-encoding the characters that could end a markdown link
// or an attribute (space ( ) < > [ ] " ' ` and control bytes); "" for anything else
// (javascript:, relative, empty).
std::string SafeUrl(absl::string_view url);

}  // namespace wecom_notify::render

#endif  // WECOM_NOTIFY_LIBS_RENDER_ESCAPE_H_
