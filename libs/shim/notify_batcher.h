// File: libs/shim/notify_batcher.h
//
// NotifyBatcher coalesces concurrent HTTP posts into few Notify calls. One call — even one
// message on a NotifyStream — costs notifyd and the shim more CPU than parsing or storing one
// alert (docs/performance.md), so under load the shim must not make one call per HTTP request
// (measured again with the stream: 2 in flight beats 4 and 8): while `max_in_flight` calls are
// outstanding, new requests queue; when a call completes, everything queued (up to
// `max_batch_alerts`) leaves in one call. An idle batcher adds no delay — a request finding no
// call in flight is sent at once, alone.
//
// A call beyond the first starts only once `min_alerts_for_extra_call` alerts wait. Small
// requests (single alerts, the usual Prometheus and Alertmanager posts under light batching)
// then ride in the next call, which carries more of them — less CPU per alert in both
// processes (1 alert per request: +18 % alerts/s and −22 % CPU per alert at 8 connections, +7 %
// at 64; docs/performance.md) — while requests of 32 alerts or more decide exactly as before
// and still overlap their calls, which is what keeps batched ingest fast.
//
// Each caller still gets its own answer, exactly as if its request had been sent alone: the
// call's status (a failed call fails every request in it — all were refused together, none is
// half-stored, since notifyd acknowledges a call only once all of it is durable), and of the
// call's rejected alerts only its own, with indexes relative to its own request.
//
// Only requests of the same source without webhook metadata are merged; a webhook notification
// (which carries its group's metadata) is always sent alone.
//
// Thread-safety: Submit may be called from any thread; `done` runs on the thread that completes
// the call (a gRPC thread), never inline in Submit unless `send` calls back inline.

#ifndef WECOM_NOTIFY_LIBS_SHIM_NOTIFY_BATCHER_H_
#define WECOM_NOTIFY_LIBS_SHIM_NOTIFY_BATCHER_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "libs/notify_wire/notify_wire.h"
#include "libs/shim/notify_backend.h"

namespace wecom_notify::shim {

class NotifyBatcher {
 public:
  // Sends one (possibly merged) request and calls `done` once with its outcome.
  using Send = std::function<void(notify_wire::EncodedNotifyRequest request,
                                  NotifyBackend::NotifyDone done)>;

  struct Options {
    // Calls outstanding at once; 0 disables coalescing (every request is sent at once, alone).
    int max_in_flight = 2;
    // A merged call carries at most this many alerts (a single larger request still goes, alone).
    std::size_t max_batch_alerts = 10'000;
    // While a call is in flight, another starts only when at least this many alerts are queued
    // (see above); 1 = as soon as anything is queued.
    std::size_t min_alerts_for_extra_call = 32;
  };

  NotifyBatcher(Send send, Options options) : send_(std::move(send)), options_(options) {}
  // Waits until no call is in flight: their completions, which may still arrive on a gRPC thread
  // after the HTTP server stopped, call back into the batcher (bounded by the call deadline).
  // Queued requests are sent first, as in normal operation.
  ~NotifyBatcher();

  NotifyBatcher(const NotifyBatcher&) = delete;
  NotifyBatcher& operator=(const NotifyBatcher&) = delete;

  void Submit(notify_wire::EncodedNotifyRequest request, NotifyBackend::NotifyDone done);

  struct Stats {
    std::size_t calls = 0;     // Send invocations
    std::size_t requests = 0;  // Submit calls
  };
  Stats GetStats() const;

 private:
  struct Pending {
    notify_wire::EncodedNotifyRequest request;
    NotifyBackend::NotifyDone done;
  };

  // Takes the next batch off queue_ (non-empty): its front request and the requests of the same
  // source right behind it, within max_batch_alerts.
  std::vector<Pending> TakeBatchLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sends `batch` (merged when it holds several requests); on completion answers each and sends
  // the next batch if one waits.
  void SendBatch(std::vector<Pending> batch);
  void Completed();

  const Send send_;
  const Options options_;

  mutable absl::Mutex mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  std::size_t queued_alerts_ ABSL_GUARDED_BY(mu_) = 0;  // in queue_
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  Stats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace wecom_notify::shim

#endif  // WECOM_NOTIFY_LIBS_SHIM_NOTIFY_BATCHER_H_
