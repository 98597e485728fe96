// File: libs/wecom/send_queue.h
//
// SendQueue merges messages that wait for the same WeCom destination (one app's recipient set,
// or one group robot). WeCom limits how often a destination may receive (per member 30 / min and
// 1000 / h per app, 20 / min per robot; RateLimiter); above that it drops app messages silently.
// Waiting alone would keep every message but could fall hours behind in an alert storm; merging
// delivers the same text in fewer messages.
//
// Per destination, messages queue in arrival order. One caller at a time leads the destination:
// it waits until the destination's next send fits its rate limits, then takes the longest run of
// queued messages from the front that share a format and, joined with a blank line, fit the
// destination's byte limit (PackCount(), message_splitter.h), and delivers them as one message.
// Nothing is cut or dropped (each queued message already fits alone) and the order is kept. The
// leader leads until its own message is delivered, then another waiting caller takes over.
// Messages that arrive while the leader waits for a rate-limit slot or for WeCom's answer are
// merged into its next send. A merged message carries mentions if any of its parts asked for them.
//
// Every caller whose message went into a send gets that send's status and report. A failed send
// fails every message it carried (the dispatch layer retries them).
//
// Thread-safety: safe for concurrent use. Callbacks run without the queue's lock held.

#ifndef WECOM_NOTIFY_LIBS_WECOM_SEND_QUEUE_H_
#define WECOM_NOTIFY_LIBS_WECOM_SEND_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"
#include "libs/wecom/metrics.h"
#include "libs/wecom/sender.h"

namespace wecom_notify::wecom {

class SendQueue {
 public:
  struct Message {
    MessageFormat format = MessageFormat::kText;
    std::string content;  // REQUIRES: fits the destination's max_bytes(format)
    bool mentions = true;
  };

  // What the calling sender knows about its destination. The callbacks of whichever caller leads
  // are used for everyone's messages, so every sender of one `key` must behave alike.
  struct Destination {
    // Identifies the destination (may contain a secret: it is never logged or exported).
    std::string key;
    // Metric label: "message_send" or "webhook_send".
    absl::string_view endpoint;
    // The largest content the destination accepts in a format.
    absl::FunctionRef<size_t(MessageFormat)> max_bytes;
    // The earliest time >= now at which one more send fits the destination's rate limits.
    absl::FunctionRef<absl::Time(absl::Time now)> ready_at;
    // Sends one (merged) message now; the sender books its rate-limit slot itself.
    absl::FunctionRef<absl::Status(const Message&, SendReport*)> deliver;
  };

  // `clock` (and `metrics`, nullable) must outlive the queue.
  explicit SendQueue(Clock& clock, WeComMetrics* metrics = nullptr);
  SendQueue(const SendQueue&) = delete;
  SendQueue& operator=(const SendQueue&) = delete;

  // Send()
  //
  // Queues `message` for `destination` and returns once the send that carried it finished, with
  // that send's status. `report` (nullable) is overwritten with that send's report, plus the time
  // spent waiting for a rate-limit slot.
  absl::Status Send(const Destination& destination, Message message, SendReport* report);

  // Messages queued for `key` and not yet taken into a send.
  size_t Pending(const std::string& key) const;

  // Joins merged messages.
  static constexpr absl::string_view kSeparator = "\n\n";

 private:
  struct Item {
    uint64_t id;
    Message message;
  };
  struct Queue {
    std::deque<Item> items;
    bool leader = false;
  };
  struct Result {
    absl::Status status;
    SendReport report;
  };

  Clock& clock_;
  WeComMetrics* const metrics_;
  mutable absl::Mutex mu_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<std::string, std::shared_ptr<Queue>> queues_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, Result> results_ ABSL_GUARDED_BY(mu_);
};

}  // namespace wecom_notify::wecom

#endif  // WECOM_NOTIFY_LIBS_WECOM_SEND_QUEUE_H_
