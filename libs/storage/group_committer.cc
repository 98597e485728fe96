// File: libs/storage/group_committer.cc

#include "libs/storage/group_committer.h"

#include <pthread.h>

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"

namespace wecom_notify::storage {

GroupCommitter::GroupCommitter(StateStore& store, Options options)
    : store_(store), options_(options) {
  writer_ = std::thread([this] { Run(); });
  pthread_setname_np(writer_.native_handle(), "committer");
}

GroupCommitter::~GroupCommitter() { Shutdown(); }

void GroupCommitter::Submit(std::vector<alert::Alert> alerts, Done done, Mode mode) {
  absl::Status rejection;
  {
    absl::MutexLock lock(&mu_);
    if (shutting_down_) {
      ++stats_.rejected_shutdown;
      rejection = absl::UnavailableError("storage: group committer is shut down");
    } else if (pending_alerts_ > 0 &&
               pending_alerts_ + alerts.size() > options_.max_pending_alerts) {
      ++stats_.rejected_full;
      rejection = absl::ResourceExhaustedError(
          absl::StrCat("storage: write queue full (", pending_alerts_, " alerts pending, limit ",
                       options_.max_pending_alerts, ")"));
    } else if (mode == Mode::kWriteInlineWhenIdle && !writing_ && queue_.empty()) {
      writing_ = true;  // this thread writes; later Submits queue behind it
      ++inline_writers_;
    } else {
      pending_alerts_ += alerts.size();
      queue_.push_back(Request{std::move(alerts), std::move(done)});
      return;
    }
  }
  if (!rejection.ok()) return done(std::move(rejection));

  const absl::Status status = WriteBatch(alerts, 1);
  done(status);
  CompactStore();
  absl::MutexLock lock(&mu_);
  --inline_writers_;
}

void GroupCommitter::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    shutting_down_ = true;
  }
  absl::MutexLock lock(&join_mu_);
  if (writer_.joinable()) writer_.join();
  // A submitting thread may still be in its own batch's callbacks or Compact().
  absl::MutexLock inline_lock(&mu_);
  mu_.Await(absl::Condition(
      +[](int* inline_writers) { return *inline_writers == 0; }, &inline_writers_));
}

GroupCommitter::Stats GroupCommitter::GetStats() const {
  absl::MutexLock lock(&mu_);
  Stats stats = stats_;
  stats.pending_requests = queue_.size();
  stats.pending_alerts = pending_alerts_;
  return stats;
}

void GroupCommitter::Run() {
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &GroupCommitter::HasWork));
      // Shutting down with nothing left: everything accepted has been written.
      if (queue_.empty()) return;
      // taken_ is empty here; the swap hands its capacity to the queue.
      taken_.swap(queue_);
      pending_alerts_ = 0;
      writing_ = true;
    }

    // One request (the common case at low load) is written from its own vector; several are
    // moved into batch_, whose capacity is kept, so no allocation happens per alert.
    const std::vector<alert::Alert>* alerts = &taken_.front().alerts;
    if (taken_.size() > 1) {
      std::size_t total = 0;
      for (const Request& request : taken_) total += request.alerts.size();
      batch_.clear();
      batch_.reserve(total);
      for (Request& request : taken_) {
        for (alert::Alert& alert : request.alerts) batch_.push_back(std::move(alert));
      }
      alerts = &batch_;
    }
    const absl::Status status = WriteBatch(*alerts, taken_.size());
    for (Request& request : taken_) request.done(status);
    taken_.clear();
    batch_.clear();
    CompactStore();
  }
}

absl::Status GroupCommitter::WriteBatch(const std::vector<alert::Alert>& alerts,
                                        std::size_t requests) {
  const auto start = std::chrono::steady_clock::now();
  const absl::Status status = store_.PutAlerts(alerts);
  const absl::Duration duration = absl::FromChrono(std::chrono::steady_clock::now() - start);
  {
    absl::MutexLock lock(&mu_);
    ++stats_.batches;
    if (!status.ok()) ++stats_.failed_batches;
    stats_.requests += requests;
    stats_.alerts += alerts.size();
    stats_.last_batch_requests = requests;
    stats_.last_batch_alerts = alerts.size();
    stats_.last_batch_duration = duration;
  }
  // Still the only batch: the observer sees the results in the order they were written.
  if (options_.on_batch_written) options_.on_batch_written(status);
  absl::MutexLock lock(&mu_);
  writing_ = false;  // the next batch may start: what queued meanwhile, or an idle Submit's
  return status;
}

void GroupCommitter::CompactStore() {
  if (!store_.Compact().ok()) {
    absl::MutexLock lock(&mu_);
    ++stats_.failed_compactions;
  }
}

}  // namespace wecom_notify::storage
