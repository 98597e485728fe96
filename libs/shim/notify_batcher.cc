#include "libs/shim/notify_batcher.h"

#include <memory>
#include <utility>

namespace wecom_notify::shim {
namespace {

using notify_wire::EncodedNotifyRequest;
using wecom_notify::v1::NotifyResponse;

bool Mergeable(const EncodedNotifyRequest& request) { return !request.has_webhook(); }

// The part of a merged call's answer that belongs to the request at [offset, offset + count).
NotifyResponse Slice(const NotifyResponse& merged, int offset, int count) {
  NotifyResponse own;
  int rejected = 0;
  for (const auto& r : merged.rejected()) {
    if (r.index() < offset || r.index() >= offset + count) continue;
    auto* mine = own.add_rejected();
    *mine = r;
    mine->set_index(r.index() - offset);
    ++rejected;
  }
  own.set_accepted(count - rejected);
  return own;
}

}  // namespace

NotifyBatcher::~NotifyBatcher() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(+[](int* in_flight) { return *in_flight == 0; }, &in_flight_));
}

void NotifyBatcher::Submit(EncodedNotifyRequest request, NotifyBackend::NotifyDone done) {
  if (options_.max_in_flight <= 0 || !Mergeable(request)) {
    {
      absl::MutexLock lock(&mu_);
      ++stats_.calls;
      ++stats_.requests;
    }
    return send_(std::move(request), std::move(done));
  }
  std::vector<Pending> batch;
  {
    absl::MutexLock lock(&mu_);
    ++stats_.requests;
    queued_alerts_ += static_cast<std::size_t>(request.alerts_size());
    queue_.push_back(Pending{std::move(request), std::move(done)});
    // Otherwise a completing call will take it.
    if (in_flight_ >= options_.max_in_flight) return;
    if (in_flight_ > 0 && queued_alerts_ < options_.min_alerts_for_extra_call) return;
    ++in_flight_;
    batch = TakeBatchLocked();
  }
  SendBatch(std::move(batch));
}

std::vector<NotifyBatcher::Pending> NotifyBatcher::TakeBatchLocked() {
  std::vector<Pending> batch;
  const auto source = queue_.front().request.source();
  std::size_t alerts = 0;
  while (!queue_.empty() && queue_.front().request.source() == source) {
    const std::size_t size = static_cast<std::size_t>(queue_.front().request.alerts_size());
    if (!batch.empty() && alerts + size > options_.max_batch_alerts) break;
    alerts += size;
    queued_alerts_ -= size;
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  ++stats_.calls;
  return batch;
}

void NotifyBatcher::SendBatch(std::vector<Pending> batch) {
  if (batch.size() == 1) {
    Pending only = std::move(batch.front());
    return send_(std::move(only.request),
                 [this, done = std::move(only.done)](const grpc::Status& status,
                                                     const NotifyResponse& response) mutable {
                   done(status, response);
                   Completed();
                 });
  }
  // Concatenate the callers' alerts into one request; remember where each caller's alerts are.
  struct Part {
    int offset;
    int count;
    NotifyBackend::NotifyDone done;
  };
  EncodedNotifyRequest merged(batch.front().request.source());
  auto parts = std::make_shared<std::vector<Part>>();
  parts->reserve(batch.size());
  for (Pending& pending : batch) {
    parts->push_back(
        Part{merged.alerts_size(), pending.request.alerts_size(), std::move(pending.done)});
    merged.AppendAlerts(std::move(pending.request));
  }
  send_(std::move(merged), [this, parts](const grpc::Status& status,
                                         const NotifyResponse& response) mutable {
    for (Part& part : *parts) {
      part.done(status, status.ok() ? Slice(response, part.offset, part.count) : NotifyResponse());
    }
    Completed();
  });
}

void NotifyBatcher::Completed() {
  std::vector<Pending> batch;
  {
    absl::MutexLock lock(&mu_);
    if (queue_.empty()) {
      --in_flight_;
      return;
    }
    batch = TakeBatchLocked();  // keeps the slot
  }
  SendBatch(std::move(batch));
}

NotifyBatcher::Stats NotifyBatcher::GetStats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace wecom_notify::shim
