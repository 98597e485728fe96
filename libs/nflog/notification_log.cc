#include "libs/nflog/notification_log.h"

#include <algorithm>

namespace wecom_notify::nflog {
namespace {

// Both sorted ascending.
bool IsSubset(const std::vector<uint64_t>& subset, const std::vector<uint64_t>& set) {
  return std::includes(set.begin(), set.end(), subset.begin(), subset.end());
}

}  // namespace

const char* ReasonName(Reason reason) {
  switch (reason) {
    case Reason::kFirstNotification: return "first notification";
    case Reason::kNewAlertsAdded: return "new alerts added";
    case Reason::kSomeAlertsResolved: return "some alerts resolved";
    case Reason::kAllAlertsResolved: return "all alerts resolved";
    case Reason::kRepeatIntervalElapsed: return "repeat interval elapsed";
  }
  return "unknown";
}

std::optional<Reason> NeedsUpdate(const Entry* entry, const std::vector<uint64_t>& firing,
                                  const std::vector<uint64_t>& resolved, bool send_resolved,
                                  absl::Duration repeat_interval, absl::Time now) {
  if (entry == nullptr) {
    if (!firing.empty()) return Reason::kFirstNotification;
    return std::nullopt;
  }
  if (!IsSubset(firing, entry->firing)) {
    return entry->firing.empty() ? Reason::kFirstNotification : Reason::kNewAlertsAdded;
  }
  if (firing.empty()) {
    if (!entry->firing.empty()) return Reason::kAllAlertsResolved;
    return std::nullopt;
  }
  if (send_resolved && !IsSubset(resolved, entry->resolved)) return Reason::kSomeAlertsResolved;
  if (entry->timestamp < now - repeat_interval) return Reason::kRepeatIntervalElapsed;
  return std::nullopt;
}

const Entry* NotificationLog::Find(const Key& key, absl::Time now) const {
  auto it = entries_.find(key.Joined());
  if (it == entries_.end() || it->second.expires_at <= now) return nullptr;
  return &it->second;
}

void NotificationLog::Record(Entry entry) {
  auto [it, inserted] = entries_.try_emplace(entry.key.Joined());
  if (!inserted && it->second.timestamp > entry.timestamp) return;
  it->second = std::move(entry);
}

std::size_t NotificationLog::CollectExpired(absl::Time now) {
  return absl::erase_if(entries_, [now](const auto& kv) { return kv.second.expires_at <= now; });
}

std::vector<Entry> NotificationLog::Snapshot() const {
  std::vector<Entry> out;
  out.reserve(entries_.size());
  for (const auto& [key, entry] : entries_) out.push_back(entry);
  return out;
}

}  // namespace wecom_notify::nflog
