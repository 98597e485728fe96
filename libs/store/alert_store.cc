#include "libs/store/alert_store.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/types/span.h"
#include "libs/common/prefetch_ahead.h"

namespace wecom_notify::store {

std::vector<alert::Alert> AlertStore::Put(std::vector<alert::Alert> alerts, absl::Time now,
                                          std::vector<SharedAlert>* versions) {
  const std::size_t first_version = versions != nullptr ? versions->size() : 0;
  if (versions != nullptr) versions->resize(first_version + alerts.size());
  // Shard by shard: one lock per shard instead of one per alert, and within a shard each insert
  // overlaps the cache misses of the next ones (prefetch_ahead.h). A counting sort keeps input
  // order within a shard, so a fingerprint posted twice in one batch is merged in order.
  static_assert(kShards <= 256, "a shard index is kept in a byte");
  absl::InlinedVector<uint8_t, 128> shard_of(alerts.size());
  std::array<uint32_t, kShards + 1> shard_start{};
  for (std::size_t i = 0; i < alerts.size(); ++i) {
    shard_of[i] = static_cast<uint8_t>(shards_.IndexOf(alerts[i].fingerprint));
    ++shard_start[shard_of[i] + 1];
  }
  for (std::size_t s = 0; s < kShards; ++s) shard_start[s + 1] += shard_start[s];
  absl::InlinedVector<uint32_t, 128> order(alerts.size());
  std::array<uint32_t, kShards> next = {};
  std::copy_n(shard_start.begin(), kShards, next.begin());
  for (std::size_t i = 0; i < alerts.size(); ++i) {
    order[next[shard_of[i]]++] = static_cast<uint32_t>(i);
  }

  for (std::size_t s = 0; s < kShards; ++s) {
    if (shard_start[s] == shard_start[s + 1]) continue;
    const absl::Span<const uint32_t> run(order.data() + shard_start[s],
                                         shard_start[s + 1] - shard_start[s]);
    Shard& shard = shards_.begin()[s];
    absl::MutexLock lock(&shard.mu);
    ForEachPrefetchingAhead(
        run,
        [&](uint32_t i) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu) {
          shard.alerts.Prefetch(alerts[i].fingerprint);
        },
        [&](uint32_t i) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu) {
          alert::Alert& incoming = alerts[i];
          incoming.generator_url.ShareIfEqual(shard.recent_url);
          shard.recent_url = incoming.generator_url;
          // What Merge needs of the held alert's annotations: those kept aside, or — kept by
          // the durable store, not here — the posted ones, where Merge keeps the held content.
          alert::LabelSet held_annotations;
          if (kept_ == Annotations::kHeld) {
            held_annotations = KeptAnnotations(shard, incoming.fingerprint);
          }
          // A held version is never changed (others may share it): replaced.
          const SharedAlert& stored =
              shard.alerts.Update(incoming.fingerprint, [&](const SharedAlert& held) {
                if (held) {
                  alert::Alert held_alert = held->ToAlert();
                  held_alert.annotations = kept_ == Annotations::kHeld ? std::move(held_annotations)
                                                                       : incoming.annotations;
                  incoming = alert::Merge(held_alert, std::move(incoming), now);
                }
                return SharedAlert(incoming);
              });
          if (kept_ == Annotations::kHeld) KeepAnnotations(shard, incoming);
          if (versions != nullptr) (*versions)[first_version + i] = stored;
        });
  }
  return alerts;
}

void AlertStore::KeepAnnotations(Shard& shard, const alert::Alert& alert) {
  if (alert.annotations.empty()) {
    shard.annotations.erase(alert.fingerprint);
  } else {
    shard.annotations.insert_or_assign(alert.fingerprint, alert.annotations);
  }
}

alert::LabelSet AlertStore::KeptAnnotations(const Shard& shard, uint64_t fingerprint) {
  const auto kept = shard.annotations.find(fingerprint);
  return kept == shard.annotations.end() ? alert::LabelSet() : kept->second;
}

std::optional<alert::Alert> AlertStore::Get(uint64_t fingerprint) const {
  const Shard& shard = shards_.For(fingerprint);
  absl::MutexLock lock(&shard.mu);
  const SharedAlert* held = shard.alerts.Find(fingerprint);
  if (held == nullptr) return std::nullopt;
  alert::Alert alert = (*held)->ToAlert();
  if (kept_ == Annotations::kHeld) alert.annotations = KeptAnnotations(shard, fingerprint);
  return alert;
}

absl::Status AlertStore::ReadAnnotations(absl::Span<alert::Alert> alerts) {
  if (kept_ != Annotations::kHeld) {
    return absl::FailedPreconditionError(
        "the alert store keeps no annotations: the durable store serves them");
  }
  for (alert::Alert& alert : alerts) {
    const Shard& shard = shards_.For(alert.fingerprint);
    absl::MutexLock lock(&shard.mu);
    alert.annotations = KeptAnnotations(shard, alert.fingerprint);
  }
  return absl::OkStatus();
}

std::vector<alert::Alert> AlertStore::List(const std::vector<alert::Matcher>& matchers,
                                           StateFilter state, absl::Time now) const {
  std::vector<alert::Alert> out;
  for (const Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    for (const SharedAlert& alert : shard.alerts) {
      const bool resolved = alert->ResolvedAt(now);
      if (state == StateFilter::kFiring && resolved) continue;
      if (state == StateFilter::kResolved && !resolved) continue;
      if (!alert::MatchesAll(matchers, alert->labels)) continue;
      out.push_back(alert->ToAlert());
      if (kept_ == Annotations::kHeld) {
        out.back().annotations = KeptAnnotations(shard, alert->fingerprint);
      }
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
    const std::size_t first_removed = removed.size();
    shard.alerts.EraseIf([&](const SharedAlert& alert) {
      if (!alert->ResolvedAt(resolved_before)) return false;
      removed.push_back(alert->fingerprint);
      return true;
    });
    for (std::size_t i = first_removed; i < removed.size(); ++i) {
      shard.annotations.erase(removed[i]);
    }
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
    for (const SharedAlert& alert : shard.alerts) {
      ++(alert->ResolvedAt(now) ? counts.resolved : counts.firing);
    }
  }
  return counts;
}

}  // namespace wecom_notify::store
