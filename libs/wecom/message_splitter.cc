#include "libs/wecom/message_splitter.h"

#include <algorithm>
#include <cassert>

#include "absl/strings/str_cat.h"
#include "libs/wecom/utf8.h"

namespace wecom_notify::wecom {
namespace {

// Room for " (999/999)": the part marker is added after packing, when the count is known.
constexpr size_t kMarkerReserve = 10;

// `header` with " (i/n)" at the end of its first line (or "(i/n)" alone if it is empty).
std::string MarkHeader(const std::string& header, size_t i, size_t n) {
  if (n <= 1) return header;
  std::string marker = absl::StrCat("(", i, "/", n, ")");
  if (header.empty()) return marker;
  const size_t eol = std::min(header.find('\n'), header.size());
  std::string out = header.substr(0, eol);
  absl::StrAppend(&out, " ", marker, header.substr(eol));
  return out;
}

}  // namespace

std::vector<std::string> SplitMessage(absl::string_view header_in,
                                      absl::Span<const std::string> blocks_in,
                                      absl::string_view footer_in, const SplitOptions& options) {
  assert(options.max_bytes >= 128);
  const size_t max = options.max_bytes;
  const std::string& sep = options.separator;
  const std::string& cut = options.truncation_marker;

  // A header or footer that would leave too little room for alerts is shortened too.
  std::string header = TruncateUtf8(SanitizeUtf8(header_in), max / 2 - kMarkerReserve, cut);
  std::string footer = TruncateUtf8(SanitizeUtf8(footer_in), max / 4, cut);
  const size_t footer_cost = footer.empty() ? 0 : sep.size() + footer.size();
  // Bytes available for "sep + block" items in one part.
  const size_t budget = max - header.size() - kMarkerReserve - footer_cost;

  std::vector<std::vector<std::string>> parts(1);
  size_t used = 0;
  for (const std::string& raw : blocks_in) {
    std::string block = SanitizeUtf8(raw);
    const size_t item_cap = budget - sep.size();
    if (block.size() > item_cap) block = TruncateUtf8(block, item_cap, cut);
    const size_t cost = sep.size() + block.size();
    if (used + cost > budget && !parts.back().empty()) {
      parts.emplace_back();
      used = 0;
    }
    parts.back().push_back(std::move(block));
    used += cost;
  }

  std::vector<std::string> out;
  out.reserve(parts.size());
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string text = MarkHeader(header, i + 1, parts.size());
    for (const std::string& block : parts[i]) {
      if (!text.empty()) text.append(sep);
      text.append(block);
    }
    if (i + 1 == parts.size() && !footer.empty()) {
      if (!text.empty()) text.append(sep);
      text.append(footer);
    }
    assert(text.size() <= max);
    out.push_back(std::move(text));
  }
  return out;
}

size_t PackCount(absl::Span<const absl::string_view> messages, size_t max_bytes,
                 absl::string_view separator) {
  if (messages.empty()) return 0;
  size_t used = messages[0].size();
  size_t n = 1;
  while (n < messages.size() && used + separator.size() + messages[n].size() <= max_bytes) {
    used += separator.size() + messages[n].size();
    ++n;
  }
  return n;
}

}  // namespace wecom_notify::wecom
