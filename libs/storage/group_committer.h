// File: libs/storage/group_committer.h
//
// GroupCommitter turns many concurrent small alert writes into few transactions: the ingest path
// acknowledges an alert only once it is durable, and one transaction per request would cost one
// commit (and, with synchronous=FULL, one fsync) each. Submit() queues a request; one writer
// thread takes everything queued, writes it with a single StateStore::PutAlerts call and then
// calls every request's `done` with that call's result. While a batch is being written the next
// one accumulates, so batches grow with the load and an idle committer adds no delay.
// After a batch's callbacks the writer calls StateStore::Compact(), so the store's deferred
// work delays the next batch, never an acknowledgement already due.
//
// Back-pressure: at most Options::max_pending_alerts alerts wait in the queue (the batch being
// written is not counted). A Submit that would go beyond it fails at once with
// ResourceExhausted, so a stalled disk shows up as errors the shim can pass back to the sender
// (Alertmanager and Prometheus retry) instead of unbounded memory. A single request larger than
// the bound is accepted when the queue is empty, so it is never rejected forever.
//
// Shutdown() stops accepting (later Submits fail with Unavailable), writes everything already
// queued, calls its callbacks, joins the writer thread and waits for any submitting thread
// still writing its own request (Mode::kWriteInlineWhenIdle). The destructor calls it.
//
// Thread-safety: Submit, Shutdown and GetStats may be called from any thread.
//
// Callbacks: `done` is called exactly once per Submit — on the thread that wrote the batch after
// it commits or fails (the writer thread, or the submitting one: Mode::kWriteInlineWhenIdle),
// or inline in Submit (before it returns) when the request is rejected. It should be quick (the
// next batch waits for it), may call Submit and GetStats, and must not call Shutdown or destroy
// the committer.

#ifndef WECOM_NOTIFY_LIBS_STORAGE_GROUP_COMMITTER_H_
#define WECOM_NOTIFY_LIBS_STORAGE_GROUP_COMMITTER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/alert/alert.h"
#include "libs/storage/state_store.h"

namespace wecom_notify::storage {

class GroupCommitter {
 public:
  struct Options {
    // The most alerts waiting to be written; see "Back-pressure" above.
    std::size_t max_pending_alerts = 100'000;
    // Called with each batch's PutAlerts result, on the thread that wrote it, before the
    // batch's `done` callbacks: how the owner learns that the store stopped (or resumed)
    // taking writes. Same rules as `done`.
    std::function<void(const absl::Status&)> on_batch_written;
  };

  // Counters for metrics (a prometheus collector can poll GetStats()). All cumulative except
  // the last_* and pending_* fields.
  struct Stats {
    uint64_t batches = 0;         // PutAlerts calls made
    uint64_t failed_batches = 0;  // of which returned an error
    uint64_t requests = 0;        // Submit calls written in those batches
    uint64_t alerts = 0;          // alerts written in those batches
    uint64_t rejected_full = 0;   // Submit calls refused with ResourceExhausted
    uint64_t rejected_shutdown = 0;  // Submit calls refused with Unavailable
    uint64_t failed_compactions = 0;  // StateStore::Compact calls that returned an error
    std::size_t last_batch_requests = 0;
    std::size_t last_batch_alerts = 0;
    absl::Duration last_batch_duration;  // time spent in PutAlerts
    std::size_t pending_requests = 0;    // queued now, not yet taken by the writer
    std::size_t pending_alerts = 0;
  };

  using Done = absl::AnyInvocable<void(absl::Status)>;

  // Whether Submit may write on the calling thread.
  enum class Mode {
    // Always queue for the writer thread.
    kQueue,
    // When the committer is idle — nothing queued, nothing being written — write the request
    // on the calling thread and call `done` (and Compact()) before returning. A request then
    // costs no thread hand-off: waking the writer and being woken by it are two thread
    // switches, on a paravirtualized VM most of a single-alert request's cost
    // (docs/performance.md). Requests arriving meanwhile queue and share the writer's next
    // batch. For threads that may block for a write and that are not what feeds the batches:
    // notifyd's gRPC threads, each serving one Notify at a time (the shim coalesces), gain;
    // its HTTP I/O threads, each serving many connections, lose (their other requests wait,
    // and batches shrink: −20 % alerts/s measured).
    kWriteInlineWhenIdle,
  };

  // Starts the writer thread. `store` must outlive the committer.
  explicit GroupCommitter(StateStore& store) : GroupCommitter(store, Options()) {}
  GroupCommitter(StateStore& store, Options options);
  ~GroupCommitter();

  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Submit()
  //
  // Queues `alerts` for the next batch; `done` receives OK once they are durable (PutAlerts
  // returned OK), or PutAlerts' error — then none of the batch is stored, since it is one
  // transaction. Rejections, reported through `done` before Submit returns:
  // ResourceExhausted when the queue is full; Unavailable after Shutdown() began.
  // An empty `alerts` is queued like any request and acknowledged with its batch.
  void Submit(std::vector<alert::Alert> alerts, Done done, Mode mode = Mode::kQueue);

  // Shutdown()
  //
  // Refuses new requests, drains the queue, joins the writer thread and waits for requests
  // being written inline. Idempotent; blocks until the drain ends. REQUIRES: not called from a
  // `done` callback.
  void Shutdown();

  Stats GetStats() const;

 private:
  struct Request {
    std::vector<alert::Alert> alerts;
    Done done;
  };

  void Run();
  // Writes `alerts` (the content of `requests` requests) in one PutAlerts call, counts it,
  // tells Options::on_batch_written and ends the batch (writing_). REQUIRES: writing_ set by
  // the caller.
  absl::Status WriteBatch(const std::vector<alert::Alert>& alerts, std::size_t requests);
  // After a batch's callbacks: the store's deferred work.
  void CompactStore();
  // The writer thread has something to do: a queue no one is writing, or its end.
  bool HasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !writing_ && (!queue_.empty() || shutting_down_);
  }

  StateStore& store_;
  const Options options_;

  mutable absl::Mutex mu_;
  std::vector<Request> queue_ ABSL_GUARDED_BY(mu_);
  std::size_t pending_alerts_ ABSL_GUARDED_BY(mu_) = 0;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  // A batch is being written (by the writer thread or a submitting thread): one at a time.
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  // Submitting threads writing their own request, until their Compact() returned.
  int inline_writers_ ABSL_GUARDED_BY(mu_) = 0;
  Stats stats_ ABSL_GUARDED_BY(mu_);

  // Writer-thread state: the requests of the batch being written and the merged alert vector,
  // kept between batches so their capacity is reused.
  std::vector<Request> taken_;
  std::vector<alert::Alert> batch_;

  absl::Mutex join_mu_;  // serializes Shutdown callers around join()
  std::thread writer_;
};

}  // namespace wecom_notify::storage

#endif  // WECOM_NOTIFY_LIBS_STORAGE_GROUP_COMMITTER_H_
