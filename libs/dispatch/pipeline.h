// File: libs/dispatch/pipeline.h
//
// Pipeline delivers one Flush to its receiver: for each integration of the receiver it consults
// the notification log (nflog::NeedsUpdate), sends when needed — retrying retryable failures with
// exponential backoff and jitter until the flush deadline, max(group_interval, 10s) — and records
// the delivery in the log, durably when a StateStore is given, before reporting success.
//
// A flush is delivered when every integration either sent or had nothing to send; then the
// dispatcher may drop its resolved alerts. Otherwise they stay and the next tick tries again.
//
// Thread-safety: Run may be called concurrently for different groups.

#ifndef WECOM_NOTIFY_LIBS_DISPATCH_PIPELINE_H_
#define WECOM_NOTIFY_LIBS_DISPATCH_PIPELINE_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "libs/alert/annotation_source.h"
#include "libs/common/clock.h"
#include "libs/dispatch/dispatcher.h"
#include "libs/dispatch/integration.h"
#include "libs/nflog/notification_log.h"
#include "libs/storage/state_store.h"

namespace wecom_notify::dispatch {

using Receivers = absl::flat_hash_map<std::string, std::vector<std::shared_ptr<Integration>>>;

// The closed set of failure reasons a Pipeline reports: the lower-case name of the final
// status code for the codes integrations return, "other" for any other code.
inline constexpr const char* kFailureReasons[] = {
    "deadline_exceeded", "internal", "invalid_argument", "not_found", "other",
    "permission_denied", "resource_exhausted", "unauthenticated", "unavailable"};
// One of kFailureReasons for a non-OK `status`.
std::string FailureReason(const absl::Status& status);

// "wecom_app" for the integration named "wecom_app/0": the kind, without the index.
std::string IntegrationKind(const std::string& integration_name);

// Outcomes of the integrations of one kind of one receiver.
struct IntegrationStats {
  uint64_t sent = 0;    // notifications the channel accepted
  uint64_t failed = 0;  // notifications given up on for this flush (after retries)
  // failed, by FailureReason of the last attempt; every reason present, zero when unseen.
  std::map<std::string, uint64_t> failed_by_reason;
};

// Counters the owner exports as metrics. Updated under the pipeline's lock.
struct PipelineStats {
  uint64_t notifications_sent = 0;
  uint64_t notifications_failed = 0;
  uint64_t notifications_suppressed = 0;
  uint64_t retries = 0;
  // Notifications delivered whose notification-log entry the durable store failed to write:
  // a restart before the group's next logged notification may send them again.
  uint64_t notification_log_write_failures = 0;
  // Notifications about to be sent whose alerts' annotations the durable store failed to read
  // (alert::AnnotationSource); they were sent without them.
  uint64_t annotation_read_failures = 0;
  // Keyed by (receiver, IntegrationKind). An entry exists, all zero, for every receiver and
  // integration kind configured since the pipeline started (SetReceivers), so counters can be
  // exported from zero; entries are never removed.
  std::map<std::pair<std::string, std::string>, IntegrationStats> by_integration;
};

// Called after each send attempt with the integration kind and how long Notify took. Must be
// thread-safe and quick.
using LatencyObserver =
    std::function<void(const std::string& integration_kind, absl::Duration duration)>;

class Pipeline {
 public:
  // `store` may be null (no durability: tests, or a store that failed to open); `clock` must
  // outlive the pipeline. The flushes' alerts come without annotations (the AlertStore's
  // versions carry none); each notification about to be sent reads them from `annotations` —
  // only those sent: a repeat the log suppresses reads nothing. A failed read is logged and
  // counted, and the notification goes out without them: a page without its summary beats
  // none. `annotations` null: the alerts are sent as flushed (tests that build them).
  Pipeline(Clock& clock, storage::StateStore* store,
           alert::AnnotationSource* annotations = nullptr);

  // Restores the notification log (after a restart).
  void LoadNotificationLog(std::vector<nflog::Entry> entries);

  // Replaces the receivers (live configuration change). Flushes already running keep theirs.
  void SetReceivers(std::shared_ptr<const Receivers> receivers);

  // Delivers `flush`; true when delivered (see the file comment).
  bool Run(const Flush& flush);

  // Drops expired log entries.
  void CollectExpired(absl::Time now);

  // A copy of the live notification log.
  std::vector<nflog::Entry> NotificationLogSnapshot() const;

  PipelineStats stats() const;

  // Sets the observer of send durations (none by default).
  void SetLatencyObserver(LatencyObserver observer);

 private:
  IntegrationStats& StatsFor(const std::string& receiver, const std::string& integration_name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  bool RunIntegration(const Flush& flush, Integration& integration, absl::Time deadline);

  Clock& clock_;
  storage::StateStore* store_;
  alert::AnnotationSource* const annotations_;
  mutable absl::Mutex mu_;
  nflog::NotificationLog log_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const Receivers> receivers_ ABSL_GUARDED_BY(mu_);
  PipelineStats stats_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const LatencyObserver> latency_observer_ ABSL_GUARDED_BY(mu_);
};

}  // namespace wecom_notify::dispatch

#endif  // WECOM_NOTIFY_LIBS_DISPATCH_PIPELINE_H_
