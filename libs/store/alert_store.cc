#include "libs/store/alert_store.h"

#include <algorithm>
#include <utility>

namespace wecom_notify::store {

std::vector<alert::Alert> AlertStore::Put(std::vector<alert::Alert> alerts, absl::Time now,
                                          std::vector<HeldAlert>* versions) {
  if (versions != nullptr) versions->reserve(versions->size() + alerts.size());
  for (alert::Alert& incoming : alerts) {
    Shard& shard = shards_.For(incoming.fingerprint);
    absl::MutexLock lock(&shard.mu);
    incoming.generator_url.ShareIfEqual(shard.recent_url);
    shard.recent_url = incoming.generator_url;
    // One lookup. A held version is never changed (others may share it): replaced.
    SharedAlert& held = shard.alerts[incoming.fingerprint];
    if (held) {
      incoming = alert::Merge(held->ToAlert(incoming.fingerprint), std::move(incoming), now);
    }
    held = SharedAlert(incoming);
    if (versions != nullptr) versions->push_back(HeldAlert{incoming.fingerprint, held});
  }
  return alerts;
}

std::optional<alert::Alert> AlertStore::Get(uint64_t fingerprint) const {
  const Shard& shard = shards_.For(fingerprint);
  absl::MutexLock lock(&shard.mu);
  auto it = shard.alerts.find(fingerprint);
  if (it == shard.alerts.end()) return std::nullopt;
  return it->second->ToAlert(fingerprint);
}

std::vector<alert::Alert> AlertStore::List(const std::vector<alert::Matcher>& matchers,
                                           StateFilter state, absl::Time now) const {
  std::vector<alert::Alert> out;
  for (const Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    for (const auto& [fingerprint, alert] : shard.alerts) {
      const bool resolved = alert->ResolvedAt(now);
      if (state == StateFilter::kFiring && resolved) continue;
      if (state == StateFilter::kResolved && !resolved) continue;
      if (!alert::MatchesAll(matchers, alert->labels)) continue;
      out.push_back(alert->ToAlert(fingerprint));
    }
  }
  std::sort(out.begin(), out.end(), [](const alert::Alert& a, const alert::Alert& b) {
    return a.fingerprint < b.fingerprint;
  });
  return out;
}

std::vector<uint64_t> AlertStore::CollectResolved(absl::Time resolved_before) {
  std::vector<uint64_t> removed;
  for (Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    absl::erase_if(shard.alerts, [&](const auto& entry) {
      if (!entry.second->ResolvedAt(resolved_before)) return false;
      removed.push_back(entry.first);
      return true;
    });
  }
  return removed;
}

std::size_t AlertStore::size() const {
  std::size_t total = 0;
  for (const Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    total += shard.alerts.size();
  }
  return total;
}

AlertStore::StateCounts AlertStore::CountByState(absl::Time now) const {
  StateCounts counts;
  for (const Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    for (const auto& [fingerprint, alert] : shard.alerts) {
      ++(alert->ResolvedAt(now) ? counts.resolved : counts.firing);
    }
  }
  return counts;
}

}  // namespace wecom_notify::store
