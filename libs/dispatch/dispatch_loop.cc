#include "libs/dispatch/dispatch_loop.h"

#include <pthread.h>

#include <algorithm>
#include <utility>

namespace wecom_notify::dispatch {
namespace {

// Upper bound on one sleep of the driver, so a clock jump never strands a deadline for long.
constexpr absl::Duration kMaxSleep = absl::Seconds(1);
// Alerts queued that wake the driver whatever the deadlines.
constexpr std::size_t kWakeAfterAlerts = 256;

// The shortest group_wait of `route` and the routes under it.
absl::Duration MinGroupWait(const Route& route) {
  absl::Duration least = route.options().group_wait;
  for (const auto& child : route.children()) least = std::min(least, MinGroupWait(*child));
  return least;
}

}  // namespace

DispatchLoop::DispatchLoop(Clock& clock, std::shared_ptr<const Route> root, Pipeline& pipeline,
                           int workers)
    : clock_(clock), pipeline_(pipeline), dispatcher_(root) {
  {
    absl::MutexLock lock(&mu_);
    min_group_wait_ = MinGroupWait(*root);
  }
  driver_ = std::thread([this] { Drive(); });
  pthread_setname_np(driver_.native_handle(), "dispatch");
  for (int i = 0; i < std::max(1, workers); ++i) {
    workers_.emplace_back([this] { Work(); });
    pthread_setname_np(workers_.back().native_handle(), "deliver");
  }
}

DispatchLoop::~DispatchLoop() { Stop(); }

void DispatchLoop::Insert(std::vector<store::SharedAlert> alerts) {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  pending_alerts_ += alerts.size();
  pending_.push_back(Pending{std::move(alerts), now});
  // The driver inserts what is queued whenever it wakes, before it takes due flushes, so the
  // alerts need a wake-up only when a new group of theirs could be due before the driver wakes
  // anyway (a wake-up per batch was a futex wake and a thread switch per request) — or once
  // kWakeAfterAlerts wait: inserted long after they were stored, the alerts' memory has gone
  // cold (batches of 100 at 64 connections, waking only on time: −12 % alerts/s).
  if (driver_waiting_ &&
      (driver_wakes_at_ > now + min_group_wait_ || pending_alerts_ >= kWakeAfterAlerts)) {
    wake_ = true;
    driver_cv_.Signal();
  }
}

void DispatchLoop::InsertPendingLocked() const {
  std::vector<Pending> pending;
  {
    absl::MutexLock lock(&mu_);
    pending.swap(pending_);
    pending_alerts_ = 0;
  }
  for (const Pending& batch : pending) {
    dispatcher_.Insert(batch.alerts, batch.at);
  }
}

void DispatchLoop::Reload(std::shared_ptr<const Route> root) {
  const absl::Duration min_group_wait = MinGroupWait(*root);
  {
    absl::MutexLock lock(&dispatcher_mu_);
    InsertPendingLocked();
    dispatcher_.Reload(std::move(root), clock_.Now());
  }
  absl::MutexLock lock(&mu_);
  min_group_wait_ = min_group_wait;
  wake_ = true;
  driver_cv_.Signal();
}

std::size_t DispatchLoop::driver_rounds() const {
  absl::MutexLock lock(&mu_);
  return driver_rounds_;
}

std::size_t DispatchLoop::group_count() const {
  absl::MutexLock lock(&dispatcher_mu_);
  InsertPendingLocked();
  return dispatcher_.group_count();
}

std::size_t DispatchLoop::alert_count() const {
  absl::MutexLock lock(&dispatcher_mu_);
  InsertPendingLocked();
  return dispatcher_.alert_count();
}

std::size_t DispatchLoop::flushes_in_flight() const {
  absl::MutexLock lock(&mu_);
  return in_flight_;
}

void DispatchLoop::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    driver_cv_.Signal();
    work_cv_.SignalAll();
  }
  if (driver_.joinable()) driver_.join();
  for (auto& w : workers_) w.join();
  workers_.clear();
}

void DispatchLoop::Drive() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    std::vector<Flush> due;
    absl::Time now;
    absl::Time until;
    {
      absl::MutexLock lock(&dispatcher_mu_);
      InsertPendingLocked();
      now = clock_.Now();  // after the inserts: none was handed over later than `now`
      due = dispatcher_.TakeDue(now);
      until = now + kMaxSleep;
      if (auto next = dispatcher_.NextDeadline()) until = std::min(until, *next);
    }
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    for (Flush& flush : due) {
      ++in_flight_;
      queue_.push_back(std::move(flush));
    }
    if (!queue_.empty()) work_cv_.SignalAll();
    ++driver_rounds_;
    // Alerts queued since this round's inserts wake no one (Insert): a new group of theirs is
    // due group_wait after they were handed over, at the soonest.
    if (!pending_.empty()) until = std::min(until, pending_.front().at + min_group_wait_);
    // Whatever woke us meanwhile (alerts, a completed flush) is looked at in the next round.
    // The deadline is judged on the injected clock; the wait itself is real time.
    if (!wake_) {
      driver_waiting_ = true;
      driver_wakes_at_ = until;
      driver_cv_.WaitWithTimeout(&mu_, std::max(until - now, absl::ZeroDuration()));
      driver_waiting_ = false;
    }
    wake_ = false;
  }
}

void DispatchLoop::Work() {
  while (true) {
    Flush flush;
    {
      absl::MutexLock lock(&mu_);
      while (queue_.empty() && !stopping_) work_cv_.Wait(&mu_);
      if (queue_.empty()) return;  // stopping, nothing left
      flush = std::move(queue_.front());
      queue_.pop_front();
    }
    const bool delivered = pipeline_.Run(flush);
    {
      absl::MutexLock lock(&dispatcher_mu_);
      dispatcher_.Complete(flush.id, delivered);
    }
    absl::MutexLock lock(&mu_);
    --in_flight_;
    wake_ = true;  // the group may be due again at once
    driver_cv_.Signal();
  }
}

}  // namespace wecom_notify::dispatch
