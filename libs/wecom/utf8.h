// File: libs/wecom/utf8.h
//
// Byte-level UTF-8 helpers for WeCom's size limits, which count UTF-8 bytes (a CJK character is 3).
// Every cut this library makes goes through Utf8PrefixLength(), so a message never ends inside a
// code point, and every text that reaches a request body has passed SanitizeUtf8(), so the JSON
// encoder never meets an invalid byte.
//
// Thread-safety: pure functions.

#ifndef WECOM_NOTIFY_LIBS_WECOM_UTF8_H_
#define WECOM_NOTIFY_LIBS_WECOM_UTF8_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace wecom_notify::wecom {

// True when `text` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(absl::string_view text);

// Returns `text` with every ill-formed sequence replaced by U+FFFD. Valid input comes back equal.
std::string SanitizeUtf8(absl::string_view text);

// The length of the longest prefix of `text` that is at most `max_bytes` long and does not end
// inside a code point. REQUIRES: `text` is valid UTF-8.
size_t Utf8PrefixLength(absl::string_view text, size_t max_bytes);

// Returns `text` if it fits in `max_bytes`; otherwise its longest code-point-aligned prefix
// followed by `marker`, the whole at most `max_bytes` long. If even `marker` does not fit, returns
// the longest aligned prefix of `marker`. REQUIRES: both arguments are valid UTF-8.
std::string TruncateUtf8(absl::string_view text, size_t max_bytes, absl::string_view marker);

}  // namespace wecom_notify::wecom

#endif  // WECOM_NOTIFY_LIBS_WECOM_UTF8_H_
