// File: libs/wecom/message_splitter.h
//
// SplitMessage() fits a rendered notification into WeCom's size limits, counted in UTF-8 bytes
// (app text and markdown 2048, robot text 2048, robot markdown 4096; see limits.h):
//
//   * It splits only between alert blocks, and every part repeats the header, with " (i/n)"
//     appended to the header's first line when there is more than one part.
//   * It never drops an alert: a block too large to fit even alone is shortened, at a code-point
//     boundary, and ends with a visible marker (default "…(truncated)").
//   * It never cuts inside a UTF-8 character, and never emits invalid UTF-8 (input is sanitized).
//   * The footer goes in the last part only.
//
// Every returned part is at most `max_bytes` long. Thread-safety: a pure function.

#ifndef WECOM_NOTIFY_LIBS_WECOM_MESSAGE_SPLITTER_H_
#define WECOM_NOTIFY_LIBS_WECOM_MESSAGE_SPLITTER_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace wecom_notify::wecom {

struct SplitOptions {
  size_t max_bytes = 2048;  // REQUIRES: >= 128
  // Joins header, blocks and footer.
  std::string separator = "\n";
  // Ends a shortened block (or header).
  std::string truncation_marker = "\xE2\x80\xA6(truncated)";  // "…(truncated)"
};

// Returns one or more parts; see the file comment. An empty `blocks` gives one part
// (header + footer).
std::vector<std::string> SplitMessage(absl::string_view header,
                                      absl::Span<const std::string> blocks,
                                      absl::string_view footer, const SplitOptions& options);

// PackCount()
//
// For merging queued messages (SendQueue): how many of `messages`, taken from the front and
// joined with `separator`, fit in `max_bytes`. At least 1 when `messages` is non-empty (a first
// message above `max_bytes` is the caller's error). Messages are never cut.
size_t PackCount(absl::Span<const absl::string_view> messages, size_t max_bytes,
                 absl::string_view separator);

}  // namespace wecom_notify::wecom

#endif  // WECOM_NOTIFY_LIBS_WECOM_MESSAGE_SPLITTER_H_
