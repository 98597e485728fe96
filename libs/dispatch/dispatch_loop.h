// File: libs/dispatch/dispatch_loop.h
//
// DispatchLoop runs the dispatch engine in notifyd: one driver thread owns the Dispatcher and
// sleeps until its next deadline (or until alerts arrive); due flushes go to a small pool of
// worker threads running the Pipeline, whose outcomes come back to the Dispatcher. Everything
// time-dependent lives in Dispatcher and Pipeline, tested in simulated time; this class only
// waits and hands over, on the real clock.
//
// Insert only queues the alerts for the driver. It is called where alerts become durable — the
// group committer's thread, before the acknowledgement — and the dispatcher's work on a big
// group (a table of millions of alerts growing, a snapshot of all of them) must not hold that
// up: it did, 0.1–1 s at the p99 of batched ingest with one group (docs/performance.md).
//
// Thread-safety: Insert, Reload and the accessors may be called from any thread.

#ifndef WECOM_NOTIFY_LIBS_DISPATCH_DISPATCH_LOOP_H_
#define WECOM_NOTIFY_LIBS_DISPATCH_DISPATCH_LOOP_H_

#include <deque>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "libs/common/clock.h"
#include "libs/dispatch/dispatcher.h"
#include "libs/dispatch/pipeline.h"
#include "libs/store/shared_alert.h"

namespace wecom_notify::dispatch {

class DispatchLoop {
 public:
  // `clock` and `pipeline` must outlive the loop. Starts the threads.
  DispatchLoop(Clock& clock, std::shared_ptr<const Route> root, Pipeline& pipeline, int workers);
  ~DispatchLoop();  // Stop()
  DispatchLoop(const DispatchLoop&) = delete;
  DispatchLoop& operator=(const DispatchLoop&) = delete;

  // Hands alerts (the store's versions: merged, normalized) to the dispatcher: queued, and
  // inserted by the driver thread when it next wakes — at the latest when a new group of
  // theirs could be due (the shortest group_wait of the routes after the hand-over) or a
  // deadline of the dispatcher's comes, and within a second; the accessors and Reload insert
  // them at once. Wakes the driver only when it would otherwise sleep past the first of these,
  // or when enough alerts wait (a few batches' worth).
  void Insert(std::vector<store::SharedAlert> alerts);

  // Applies a new routing tree (see Dispatcher::Reload).
  void Reload(std::shared_ptr<const Route> root);

  std::size_t group_count() const;
  std::size_t alert_count() const;
  // Flushes taken and not yet completed.
  std::size_t flushes_in_flight() const;
  // Rounds the driver has made (insert what is queued, take due flushes, wait): a wake-up each.
  std::size_t driver_rounds() const;

  // Stops taking new flushes, lets the workers finish the ones they run, joins. Idempotent.
  void Stop();

 private:
  void Drive();
  void Work();
  // Moves the queued alerts into the dispatcher. Const: what the accessors report includes
  // the queued alerts, so they insert them first.
  void InsertPendingLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(dispatcher_mu_);

  Clock& clock_;
  Pipeline& pipeline_;
  // Two locks, so that queueing alerts never waits for the dispatcher's work. Order:
  // dispatcher_mu_ before mu_.
  mutable absl::Mutex dispatcher_mu_;
  mutable Dispatcher dispatcher_ ABSL_GUARDED_BY(dispatcher_mu_);
  mutable absl::Mutex mu_;
  absl::CondVar driver_cv_;  // wakes the driver: alerts arrived, a flush completed, stop
  absl::CondVar work_cv_;    // wakes workers: flushes queued, stop
  // Alerts not yet in dispatcher_, each batch with the time it was handed over (the dispatcher
  // judges group_wait from it, as if it had been inserted then).
  struct Pending {
    std::vector<store::SharedAlert> alerts;
    absl::Time at;
  };
  mutable std::vector<Pending> pending_ ABSL_GUARDED_BY(mu_);
  mutable std::size_t pending_alerts_ ABSL_GUARDED_BY(mu_) = 0;  // in pending_
  absl::Duration min_group_wait_ ABSL_GUARDED_BY(mu_);           // of the routing tree
  bool driver_waiting_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time driver_wakes_at_ ABSL_GUARDED_BY(mu_);  // while driver_waiting_ (injected clock)
  std::size_t driver_rounds_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<Flush> queue_ ABSL_GUARDED_BY(mu_);
  std::size_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread driver_;
  std::vector<std::thread> workers_;
};

}  // namespace wecom_notify::dispatch

#endif  // WECOM_NOTIFY_LIBS_DISPATCH_DISPATCH_LOOP_H_
