#include "libs/dispatch/dispatcher.h"

#include <algorithm>

#include "absl/container/inlined_vector.h"
#include "libs/common/prefetch_ahead.h"

namespace wecom_notify::dispatch {
namespace {

// -1, 0, 1 comparing an optional label: present sorts before absent.
int CompareLabel(const alert::Alert& a, const alert::Alert& b, absl::string_view name) {
  const std::optional<absl::string_view> va = a.labels.Get(name);
  const std::optional<absl::string_view> vb = b.labels.Get(name);
  if (va && vb) return va->compare(*vb) < 0 ? -1 : (*va == *vb ? 0 : 1);
  if (va) return -1;
  if (vb) return 1;
  return 0;
}

// Prometheus LabelSet.Before: fewer labels first, then the first differing name, then value.
bool LabelSetBefore(const alert::LabelSet& a, const alert::LabelSet& b) {
  if (a.size() != b.size()) return a.size() < b.size();
  auto ia = a.begin(), ib = b.begin();
  for (; ia != a.end(); ++ia, ++ib) {
    if (ia->name != ib->name) return ia->name < ib->name;
    if (ia->value != ib->value) return ia->value < ib->value;
  }
  return false;
}

}  // namespace

void SortForNotification(std::vector<alert::Alert>& alerts) {
  std::stable_sort(alerts.begin(), alerts.end(), [](const alert::Alert& a, const alert::Alert& b) {
    if (int c = CompareLabel(a, b, "job"); c != 0) return c < 0;
    if (int c = CompareLabel(a, b, "instance"); c != 0) return c < 0;
    return LabelSetBefore(a.labels, b.labels);
  });
}

Dispatcher::Dispatcher(std::shared_ptr<const Route> root) : root_(std::move(root)) {}

void Dispatcher::Schedule(Group& group, absl::Time at) {
  Unschedule(group);
  group.next_flush = at;
  group.scheduled = true;
  deadlines_.emplace(at, group.key);
}

void Dispatcher::Unschedule(Group& group) {
  if (group.scheduled) deadlines_.erase({group.next_flush, group.key});
  group.scheduled = false;
}

void Dispatcher::Insert(absl::Span<const store::SharedAlert> alerts, absl::Time now) {
  // Routing first, then the inserts, each group table's slot for an alert prefetched a few
  // alerts ahead: a group of a million alerts misses the caches on every insert. Finding an
  // existing group builds neither its labels nor its key (Route::AppendGroupKey into a reused
  // string): it was three to five allocations per alert.
  struct Placement {
    Group* group;
    const store::SharedAlert* alert;
  };
  absl::InlinedVector<Placement, 128> placements;
  placements.reserve(alerts.size());
  // Reused for every alert.
  std::vector<const Route*> routes;
  std::string key;
  for (const store::SharedAlert& held : alerts) {
    const store::PackedAlert& alert = *held;
    root_->Match(alert.labels, &routes);
    for (const Route* route : routes) {
      key.clear();
      route->AppendGroupKey(alert.labels, &key);
      auto it = groups_.find(key);
      if (it == groups_.end()) {
        it = groups_.try_emplace(key).first;
        Group& group = it->second;
        group.key = key;
        group.route = route;
        group.labels = route->GroupLabels(alert.labels);
        // An alert that started more than group_wait ago (a replay, a late delivery) needs no
        // more waiting.
        const absl::Duration wait = route->options().group_wait;
        Schedule(group, alert.starts_at.ToTime() + wait < now ? now : now + wait);
      }
      placements.push_back({&it->second, &held});
    }
  }
  ForEachPrefetchingAhead(
      placements, [](const Placement& p) { p.group->alerts.Prefetch((*p.alert)->fingerprint); },
      [](const Placement& p) { p.group->alerts.Put(*p.alert); });
}

std::optional<absl::Time> Dispatcher::NextDeadline() const {
  if (deadlines_.empty()) return std::nullopt;
  return deadlines_.begin()->first;
}

std::vector<Flush> Dispatcher::TakeDue(absl::Time now) {
  std::vector<Flush> flushes;
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    const auto [tick, key] = *deadlines_.begin();
    deadlines_.erase(deadlines_.begin());
    auto it = groups_.find(key);
    if (it == groups_.end()) continue;
    Group& group = it->second;
    group.scheduled = false;
    if (group.alerts.empty()) {
      groups_.erase(it);
      continue;
    }
    Flush flush;
    flush.id = next_flush_id_++;
    flush.group_key = group.key;
    flush.options = group.route->options();
    flush.group_labels = group.labels;
    flush.now = tick;
    flush.alerts.reserve(group.alerts.size());
    group.flushed_resolved.clear();
    for (const store::SharedAlert& a : group.alerts) {
      flush.alerts.push_back(a->ToAlert());
      if (a->ResolvedAt(tick)) {
        group.flushed_resolved.emplace_back(a->fingerprint, flush.alerts.back().updated_at);
      }
    }
    SortForNotification(flush.alerts);
    group.in_flight = flush.id;
    in_flight_[flush.id] = group.key;
    // The next tick is one group_interval after this one, whatever the send takes; it is
    // scheduled when the flush completes.
    group.next_flush = tick + flush.options.group_interval;
    flushes.push_back(std::move(flush));
  }
  return flushes;
}

void Dispatcher::Complete(uint64_t flush_id, bool delivered) {
  auto flight = in_flight_.find(flush_id);
  if (flight == in_flight_.end()) return;
  auto it = groups_.find(flight->second);
  in_flight_.erase(flight);
  if (it == groups_.end()) return;
  Group& group = it->second;
  if (group.in_flight != flush_id) return;
  group.in_flight = 0;
  if (delivered) {
    for (const auto& [fingerprint, updated_at] : group.flushed_resolved) {
      const store::SharedAlert* held = group.alerts.Find(fingerprint);
      if (held != nullptr && (*held)->updated_at.ToTime() == updated_at) {
        group.alerts.Erase(fingerprint);
      }
    }
  }
  group.flushed_resolved.clear();
  if (group.alerts.empty()) {
    groups_.erase(it);
    return;
  }
  Schedule(group, group.next_flush);
}

void Dispatcher::Reload(std::shared_ptr<const Route> root, absl::Time now) {
  // What each group was doing, by key. A group that keeps its key under the new tree keeps its
  // timer and its flush in flight: a reload neither restarts group_wait, nor flushes a group
  // early, nor flushes it a second time while its flush is still out — which would send it twice,
  // the notification log not knowing yet (Alertmanager's #2417).
  struct Before {
    absl::Time next_flush;
    bool scheduled = false;
    uint64_t in_flight = 0;
    std::vector<std::pair<uint64_t, absl::Time>> flushed_resolved;
  };
  absl::flat_hash_map<std::string, Before> before;
  std::vector<store::SharedAlert> held;
  for (auto& [key, group] : groups_) {
    held.insert(held.end(), group.alerts.begin(), group.alerts.end());
    before[key] = Before{group.next_flush, group.scheduled, group.in_flight,
                         std::move(group.flushed_resolved)};
  }
  groups_.clear();
  deadlines_.clear();
  in_flight_.clear();
  root_ = std::move(root);
  Insert(held, now);
  for (auto& [key, group] : groups_) {
    auto it = before.find(key);
    if (it == before.end()) continue;  // a new grouping: a new group, timed as one
    Before& old = it->second;
    if (old.in_flight != 0) {
      Unschedule(group);  // rescheduled at next_flush when the flush completes
      group.in_flight = old.in_flight;
      group.flushed_resolved = std::move(old.flushed_resolved);
      group.next_flush = old.next_flush;
      in_flight_[old.in_flight] = key;
    } else if (old.scheduled) {
      Schedule(group, old.next_flush);
    }
  }
}

std::size_t Dispatcher::alert_count() const {
  std::size_t total = 0;
  for (const auto& [key, group] : groups_) total += group.alerts.size();
  return total;
}

}  // namespace wecom_notify::dispatch
