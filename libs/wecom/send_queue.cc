#include "libs/wecom/send_queue.h"

#include <spdlog/spdlog.h>

#include <utility>
#include <vector>

#include "absl/strings/str_join.h"
#include "libs/wecom/message_splitter.h"

namespace wecom_notify::wecom {

SendQueue::SendQueue(Clock& clock, WeComMetrics* metrics) : clock_(clock), metrics_(metrics) {}

size_t SendQueue::Pending(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto it = queues_.find(key);
  return it == queues_.end() ? 0 : it->second->items.size();
}

absl::Status SendQueue::Send(const Destination& d, Message message, SendReport* report_out) {
  absl::MutexLock lock(&mu_);
  std::shared_ptr<Queue>& slot = queues_[d.key];
  if (slot == nullptr) slot = std::make_shared<Queue>();
  const std::shared_ptr<Queue> q = slot;
  const uint64_t id = next_id_++;
  q->items.push_back({id, std::move(message)});
  if (metrics_ != nullptr) metrics_->AddQueued(d.endpoint, 1);

  const auto done = [this, id]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return results_.count(id) > 0;
  };
  const auto done_or_leaderless = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return done() || !q->leader;
  };
  mu_.Await(absl::Condition(&done_or_leaderless));

  if (!done()) {
    // Lead: send merged messages from the front until ours has gone.
    q->leader = true;
    while (!done()) {
      mu_.Unlock();
      const absl::Time now = clock_.Now();
      const absl::Time at = d.ready_at(now);
      if (at > now) {
        if (metrics_ != nullptr) metrics_->RecordRateLimitWait(d.endpoint, at - now);
        clock_.SleepFor(at - now);
      }
      mu_.Lock();
      // The longest same-format run from the front that fits one message.
      const MessageFormat format = q->items.front().message.format;
      std::vector<absl::string_view> run;
      for (const Item& item : q->items) {
        if (item.message.format != format) break;
        run.push_back(item.message.content);
      }
      const size_t n = PackCount(run, d.max_bytes(format), kSeparator);
      Message merged;
      merged.format = format;
      merged.mentions = false;
      merged.content = absl::StrJoin(run.begin(), run.begin() + n, kSeparator);
      std::vector<uint64_t> carried;
      for (size_t i = 0; i < n; ++i) {
        merged.mentions |= q->items.front().message.mentions;
        carried.push_back(q->items.front().id);
        q->items.pop_front();
      }
      if (metrics_ != nullptr) metrics_->AddQueued(d.endpoint, -static_cast<double>(n));
      mu_.Unlock();
      if (n > 1) spdlog::info("wecom: merged {} queued messages into one", n);
      Result result;
      result.status = d.deliver(merged, &result.report);
      if (at > now) result.report.rate_limit_wait += at - now;
      mu_.Lock();
      for (uint64_t carried_id : carried) results_[carried_id] = result;
    }
    q->leader = false;
    if (q->items.empty()) {
      auto it = queues_.find(d.key);
      if (it != queues_.end() && it->second == q) queues_.erase(it);
    }
  }
  Result result = std::move(results_[id]);
  results_.erase(id);
  if (report_out != nullptr) *report_out = std::move(result.report);
  return result.status;
}

}  // namespace wecom_notify::wecom
