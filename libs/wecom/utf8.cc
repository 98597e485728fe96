#include "libs/wecom/utf8.h"

#include <cstdint>

#include "absl/strings/str_cat.h"

namespace wecom_notify::wecom {
namespace {

// Length of the well-formed sequence starting at text[i], or 0 if it is ill-formed.
// Follows the table "Well-Formed UTF-8 Byte Sequences" of the Unicode standard (3.9, D92).
size_t SequenceLength(absl::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const size_t left = text.size() - i;
  const uint8_t b0 = byte(i);
  if (b0 < 0x80) return 1;
  const auto in = [](uint8_t b, uint8_t lo, uint8_t hi) { return b >= lo && b <= hi; };
  if (in(b0, 0xC2, 0xDF)) return left >= 2 && in(byte(i + 1), 0x80, 0xBF) ? 2 : 0;
  if (in(b0, 0xE0, 0xEF)) {
    if (left < 3) return 0;
    const uint8_t lo = b0 == 0xE0 ? 0xA0 : 0x80;
    const uint8_t hi = b0 == 0xED ? 0x9F : 0xBF;
    return in(byte(i + 1), lo, hi) && in(byte(i + 2), 0x80, 0xBF) ? 3 : 0;
  }
  if (in(b0, 0xF0, 0xF4)) {
    if (left < 4) return 0;
    const uint8_t lo = b0 == 0xF0 ? 0x90 : 0x80;
    const uint8_t hi = b0 == 0xF4 ? 0x8F : 0xBF;
    return in(byte(i + 1), lo, hi) && in(byte(i + 2), 0x80, 0xBF) && in(byte(i + 3), 0x80, 0xBF)
               ? 4
               : 0;
  }
  return 0;
}

bool IsContinuation(char c) { return (static_cast<uint8_t>(c) & 0xC0) == 0x80; }

}  // namespace

bool IsValidUtf8(absl::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t n = SequenceLength(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string SanitizeUtf8(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t n = SequenceLength(text, i);
    if (n == 0) {
      out.append("\xEF\xBF\xBD");  // U+FFFD REPLACEMENT CHARACTER
      ++i;
    } else {
      absl::StrAppend(&out, text.substr(i, n));
      i += n;
    }
  }
  return out;
}

size_t Utf8PrefixLength(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text.size();
  size_t end = max_bytes;
  // text[end] is the first byte left out; step back while it continues a code point.
  while (end > 0 && IsContinuation(text[end])) --end;
  return end;
}

std::string TruncateUtf8(absl::string_view text, size_t max_bytes, absl::string_view marker) {
  if (text.size() <= max_bytes) return std::string(text);
  if (marker.size() > max_bytes) {
    return std::string(marker.substr(0, Utf8PrefixLength(marker, max_bytes)));
  }
  std::string out(text.substr(0, Utf8PrefixLength(text, max_bytes - marker.size())));
  absl::StrAppend(&out, marker);
  return out;
}

}  // namespace wecom_notify::wecom
