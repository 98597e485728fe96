// File: libs/wecom/sender.h
//
// Sender delivers one piece of content to one WeCom destination: an app's recipients
// (AppMessageSender) or a group robot (RobotSender). The content must already fit
// MaxContentBytes(): render, then SplitMessage() (message_splitter.h), then Send() each part.
//
// A Send() blocks while it waits for the rate limiter and for retry backoff, both measured on the
// injected Clock, and returns when the destination accepted the content or a final outcome is
// known. It never throws.
//
// Thread-safety: implementations are safe for concurrent use.

#ifndef WECOM_NOTIFY_LIBS_WECOM_SENDER_H_
#define WECOM_NOTIFY_LIBS_WECOM_SENDER_H_

#include <cstddef>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "libs/wecom/result.h"

namespace wecom_notify::wecom {

enum class MessageFormat {
  kText,      // read everywhere, including personal WeChat (the WeCom plugin)
  kMarkdown,  // WeCom clients only; personal WeChat shows "unsupported message type"
};

// Everything that happened during one Send(), for callers, the admin "send test message" action
// and metrics. Contains no secret.
struct SendReport {
  // One entry per HTTP request (a recipient list above WeCom's per-request caps is split into
  // several requests), in order; each is the request's final outcome after retries.
  std::vector<CallOutcome> requests;
  // Union over `requests`: the recipients WeCom reported as not delivered.
  InvalidRecipients invalid;
  int token_refreshes = 0;                                // 40014/42001 answered by a refetch
  absl::Duration rate_limit_wait = absl::ZeroDuration();  // time spent waiting for the limiter
};

struct SendOptions {
  // Group robots: this message carries the configured mentions (text: mentioned_list /
  // mentioned_mobile_list; markdown: `<@userid>`). A notification split into parts mentions in
  // its first part only (SendParts()), so people are pinged once. App messages ignore it.
  bool mentions = true;
};

class Sender {
 public:
  virtual ~Sender() = default;

  // Send()
  //
  // Delivers `content` in `format`. `report`, if non-null, is overwritten with the details.
  // Returns OK when every request was accepted, including with some invalid recipients (see
  // report->invalid). Errors:
  //   kInvalidArgument    content empty or above MaxContentBytes(format) (nothing was sent), or
  //                       WeCom rejected the content (40058, 45002, 44004)
  //   kUnavailable, kDeadlineExceeded, kResourceExhausted
  //                       transient failures that outlasted the retry policy
  //   kUnauthenticated, kPermissionDenied, kFailedPrecondition
  //                       configuration the operator must fix; the message names it (e.g. "add
  //                       egress IP 1.2.3.4 to the app's trusted IPs")
  //   kInternal           WeCom says our request is malformed: a bug
  // A failed Send may still have delivered some of its requests (see report->requests).
  virtual absl::Status Send(MessageFormat format, absl::string_view content,
                            const SendOptions& options, SendReport* report) = 0;
  absl::Status Send(MessageFormat format, absl::string_view content, SendReport* report) {
    return Send(format, content, SendOptions(), report);
  }

  // The largest content in `format` that Send() accepts, in UTF-8 bytes.
  virtual size_t MaxContentBytes(MessageFormat format) const = 0;
};

// SendParts()
//
// Sends the parts of one split notification (SplitMessage()) through `sender` in order, with
// mentions in the first part only; stops at the first failure and returns it. `report`, if
// non-null, is overwritten with all parts' requests, invalid recipients, refreshes and waits.
absl::Status SendParts(Sender& sender, MessageFormat format, absl::Span<const std::string> parts,
                       SendReport* report);

// Appends `part`'s requests, invalid recipients, refreshes and waits to `total`.
void AppendReport(SendReport part, SendReport* total);

}  // namespace wecom_notify::wecom

#endif  // WECOM_NOTIFY_LIBS_WECOM_SENDER_H_
