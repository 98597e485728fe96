#include "libs/dispatch/pipeline.h"

#include <algorithm>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/alert/fingerprint.h"
#include "libs/logging/logging.h"

namespace wecom_notify::dispatch {
namespace {

// Retry backoff as Alertmanager's: 0.5 s × 1.5^n, ±50 % jitter, capped at 60 s.
absl::Duration Backoff(int attempt) {
  thread_local std::mt19937_64 rng(std::random_device{}());
  double base = 0.5;
  for (int i = 0; i < attempt && base < 60; ++i) base *= 1.5;
  base = std::min(base, 60.0);
  std::uniform_real_distribution<double> jitter(0.5, 1.5);
  return absl::Milliseconds(static_cast<int64_t>(base * jitter(rng) * 1000));
}

std::string DedupId(const std::string& group_key, const std::string& integration,
                    const std::vector<uint64_t>& firing, const std::vector<uint64_t>& resolved) {
  // FNV-1a over the identity of the content; stable across restarts.
  uint64_t h = 0xcbf29ce484222325ULL;
  auto mix = [&h](absl::string_view bytes) {
    for (unsigned char c : bytes) {
      h ^= c;
      h *= 0x100000001b3ULL;
    }
  };
  mix(group_key);
  mix("\xff");
  mix(integration);
  for (uint64_t f : firing) mix(absl::StrCat("f", f));
  for (uint64_t r : resolved) mix(absl::StrCat("r", r));
  return absl::StrFormat("%016x", h);
}

}  // namespace

std::size_t Notification::firing_count() const {
  return std::count_if(alerts.begin(), alerts.end(),
                       [this](const alert::Alert& a) { return !a.ResolvedAt(now); });
}

bool IsRetryable(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status) ||
         absl::IsResourceExhausted(status);
}

std::string FailureReason(const absl::Status& status) {
  std::string name = absl::AsciiStrToLower(absl::StatusCodeToString(status.code()));
  for (const char* reason : kFailureReasons) {
    if (name == reason) return name;
  }
  return "other";
}

std::string IntegrationKind(const std::string& integration_name) {
  return integration_name.substr(0, integration_name.find('/'));
}

Pipeline::Pipeline(Clock& clock, storage::StateStore* store, alert::AnnotationSource* annotations)
    : clock_(clock), store_(store), annotations_(annotations) {}

IntegrationStats& Pipeline::StatsFor(const std::string& receiver,
                                     const std::string& integration_name) {
  auto [it, inserted] =
      stats_.by_integration.try_emplace({receiver, IntegrationKind(integration_name)});
  if (inserted) {
    for (const char* reason : kFailureReasons) it->second.failed_by_reason[reason] = 0;
  }
  return it->second;
}

void Pipeline::SetLatencyObserver(LatencyObserver observer) {
  absl::MutexLock lock(&mu_);
  latency_observer_ =
      observer ? std::make_shared<const LatencyObserver>(std::move(observer)) : nullptr;
}

void Pipeline::LoadNotificationLog(std::vector<nflog::Entry> entries) {
  absl::MutexLock lock(&mu_);
  for (auto& entry : entries) log_.Record(std::move(entry));
}

void Pipeline::SetReceivers(std::shared_ptr<const Receivers> receivers) {
  absl::MutexLock lock(&mu_);
  receivers_ = std::move(receivers);
  if (receivers_ == nullptr) return;
  for (const auto& [receiver, integrations] : *receivers_) {
    for (const auto& integration : integrations) StatsFor(receiver, integration->name());
  }
}

void Pipeline::CollectExpired(absl::Time now) {
  absl::MutexLock lock(&mu_);
  log_.CollectExpired(now);
}

std::vector<nflog::Entry> Pipeline::NotificationLogSnapshot() const {
  absl::MutexLock lock(&mu_);
  return log_.Snapshot();
}

PipelineStats Pipeline::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

bool Pipeline::Run(const Flush& flush) {
  std::shared_ptr<const Receivers> receivers;
  {
    absl::MutexLock lock(&mu_);
    receivers = receivers_;
  }
  const auto found = receivers ? receivers->find(flush.options.receiver) : Receivers::const_iterator();
  if (!receivers || found == receivers->end()) {
    logging::Error("receiver not configured; notification dropped",
                   {{"receiver", flush.options.receiver}, {"group", flush.group_key}});
    return true;  // nothing can ever deliver it; keeping the alerts would only grow memory
  }
  const absl::Time deadline =
      flush.now + std::max(flush.options.group_interval, absl::Seconds(10));
  bool delivered = true;
  for (const auto& integration : found->second) {
    delivered &= RunIntegration(flush, *integration, deadline);
  }
  return delivered;
}

bool Pipeline::RunIntegration(const Flush& flush, Integration& integration,
                              absl::Time deadline) {
  std::vector<uint64_t> firing, resolved;
  for (const alert::Alert& a : flush.alerts) {
    (a.ResolvedAt(flush.now) ? resolved : firing).push_back(a.fingerprint);
  }
  std::sort(firing.begin(), firing.end());
  std::sort(resolved.begin(), resolved.end());
  const nflog::Key key{flush.group_key, flush.options.receiver, integration.name()};

  std::optional<nflog::Reason> reason;
  {
    absl::MutexLock lock(&mu_);
    reason = nflog::NeedsUpdate(log_.Find(key, flush.now), firing, resolved,
                                integration.send_resolved(), flush.options.repeat_interval,
                                flush.now);
    if (!reason) {
      ++stats_.notifications_suppressed;
      return true;
    }
  }

  Notification notification;
  notification.receiver = flush.options.receiver;
  notification.group_key = flush.group_key;
  notification.group_labels = flush.group_labels;
  notification.now = flush.now;
  notification.reason = *reason;
  for (const alert::Alert& a : flush.alerts) {
    if (integration.send_resolved() || !a.ResolvedAt(flush.now)) notification.alerts.push_back(a);
  }
  notification.dedup_id = DedupId(flush.group_key, integration.name(), firing,
                                  integration.send_resolved() ? resolved : std::vector<uint64_t>());

  if (annotations_ != nullptr && !notification.alerts.empty()) {
    const absl::Status read = annotations_->ReadAnnotations(absl::MakeSpan(notification.alerts));
    if (!read.ok()) {
      {
        absl::MutexLock lock(&mu_);
        ++stats_.annotation_read_failures;
      }
      logging::Warn("annotations not read; the notification is sent without them",
                    {{"receiver", flush.options.receiver},
                     {"group", flush.group_key},
                     {"error", read.ToString()}});
    }
  }

  // Without send_resolved and nothing firing there is nothing to show; the log still records
  // the (empty) firing set, as Alertmanager does, so the next new alert counts as new.
  absl::Status status = absl::OkStatus();
  if (!notification.alerts.empty()) {
    std::shared_ptr<const LatencyObserver> observer;
    {
      absl::MutexLock lock(&mu_);
      observer = latency_observer_;
    }
    const std::string kind = IntegrationKind(integration.name());
    for (int attempt = 0;; ++attempt) {
      const absl::Time start = clock_.Now();
      status = integration.Notify(notification);
      if (observer) (*observer)(kind, clock_.Now() - start);
      if (status.ok() || !IsRetryable(status)) break;
      const absl::Duration wait = Backoff(attempt);
      if (clock_.Now() + wait > deadline) break;
      {
        absl::MutexLock lock(&mu_);
        ++stats_.retries;
      }
      clock_.SleepFor(wait);
    }
  }
  if (!status.ok()) {
    absl::MutexLock lock(&mu_);
    ++stats_.notifications_failed;
    IntegrationStats& per = StatsFor(flush.options.receiver, integration.name());
    ++per.failed;
    ++per.failed_by_reason[FailureReason(status)];
    logging::Warn("notification failed",
                  {{"receiver", flush.options.receiver},
                   {"integration", integration.name()},
                   {"group", flush.group_key},
                   {"err", status.message()},
                   {"retryable", IsRetryable(status) ? "true" : "false"}});
    return false;
  }

  nflog::Entry entry;
  entry.key = key;
  entry.timestamp = clock_.Now();
  entry.firing = std::move(firing);
  entry.resolved = std::move(resolved);
  entry.expires_at = entry.timestamp + 2 * flush.options.repeat_interval;
  bool logged_durably = true;
  if (store_ != nullptr) {
    if (absl::Status saved = store_->PutNotificationLog({entry}); !saved.ok()) {
      // Delivered but not durably logged: a restart may repeat this one notification.
      logging::Error("notification log not persisted", {{"err", saved.message()}});
      logged_durably = false;
    }
  }
  absl::MutexLock lock(&mu_);
  if (!logged_durably) ++stats_.notification_log_write_failures;
  if (!notification.alerts.empty()) {
    ++stats_.notifications_sent;
    ++StatsFor(flush.options.receiver, integration.name()).sent;
  }
  log_.Record(std::move(entry));
  return true;
}

}  // namespace wecom_notify::dispatch
