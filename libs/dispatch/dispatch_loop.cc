#include "libs/dispatch/dispatch_loop.h"

#include <algorithm>

namespace wecom_notify::dispatch {
namespace {

// Upper bound on one sleep of the driver, so a clock jump never strands a deadline for long.
constexpr absl::Duration kMaxSleep = absl::Seconds(1);

}  // namespace

DispatchLoop::DispatchLoop(Clock& clock, std::shared_ptr<const Route> root, Pipeline& pipeline,
                           int workers)
    : clock_(clock), pipeline_(pipeline), dispatcher_(std::move(root)) {
  driver_ = std::thread([this] { Drive(); });
  for (int i = 0; i < std::max(1, workers); ++i) workers_.emplace_back([this] { Work(); });
}

DispatchLoop::~DispatchLoop() { Stop(); }

void DispatchLoop::Insert(const std::vector<alert::Alert>& alerts) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_.Now();
  for (const alert::Alert& a : alerts) dispatcher_.Insert(a, now);
  wake_ = true;
  driver_cv_.Signal();
}

void DispatchLoop::Reload(std::shared_ptr<const Route> root) {
  absl::MutexLock lock(&mu_);
  dispatcher_.Reload(std::move(root), clock_.Now());
  wake_ = true;
  driver_cv_.Signal();
}

std::size_t DispatchLoop::group_count() const {
  absl::MutexLock lock(&mu_);
  return dispatcher_.group_count();
}

std::size_t DispatchLoop::alert_count() const {
  absl::MutexLock lock(&mu_);
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
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    const absl::Time now = clock_.Now();
    for (Flush& flush : dispatcher_.TakeDue(now)) {
      ++in_flight_;
      queue_.push_back(std::move(flush));
    }
    wake_ = false;
    absl::Time until = now + kMaxSleep;
    if (auto next = dispatcher_.NextDeadline()) until = std::min(until, *next);
    if (!queue_.empty()) work_cv_.SignalAll();
    // The deadline is judged on the injected clock; the wait itself is real time.
    if (!wake_ && !stopping_) {
      driver_cv_.WaitWithTimeout(&mu_, std::max(until - now, absl::ZeroDuration()));
    }
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
    absl::MutexLock lock(&mu_);
    dispatcher_.Complete(flush.id, delivered);
    --in_flight_;
    wake_ = true;  // the group may be due again at once
    driver_cv_.Signal();
  }
}

}  // namespace wecom_notify::dispatch
