// File: libs/dispatch/dispatcher.h
//
// Dispatcher holds the aggregation groups and decides when each flushes, with Alertmanager's
// rules (dispatch/dispatch.go): a new group flushes after group_wait — at once when the alert
// that created it started more than group_wait ago (a replay after restart) — and then every
// group_interval. Alerts joining an existing group wait for its next tick. A flush hands out a
// snapshot of the group; once delivered, its resolved alerts leave the group (unless they were
// updated meanwhile) and an empty group is destroyed.
//
// It is a state machine with no threads and no clock inside: the caller passes `now`, asks for
// NextDeadline(), and takes the due flushes with TakeDue(now). Tests drive it in simulated time
// to both sides of every boundary; notifyd drives it from one thread (DispatchLoop).
//
// While a group's flush is out (taken, not yet completed), the group is not flushed again; if
// its tick passed meanwhile it is due at once after Complete(), as in Alertmanager, where a
// slow send delays the next flush.
//
// Thread-safety: not thread-safe; the owner serializes calls.

#ifndef WECOM_NOTIFY_LIBS_DISPATCH_DISPATCHER_H_
#define WECOM_NOTIFY_LIBS_DISPATCH_DISPATCHER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "libs/alert/alert.h"
#include "libs/dispatch/route.h"
#include "libs/store/shared_alert.h"

namespace wecom_notify::dispatch {

// One group's snapshot, to be delivered to `options.receiver`.
struct Flush {
  uint64_t id = 0;
  std::string group_key;
  RouteOptions options;
  alert::LabelSet group_labels;
  // Sorted as Alertmanager sorts (job, instance, then label sets). An alert is resolved in this
  // flush iff alert.ResolvedAt(now).
  std::vector<alert::Alert> alerts;
  // The tick time: dedup and status are judged at it.
  absl::Time now;
};

class Dispatcher {
 public:
  explicit Dispatcher(std::shared_ptr<const Route> root);

  // Routes each alert (normalized, valid; usually the store's version, which the groups then
  // share) to every matching route's group, creating groups as needed; a held alert with the
  // same fingerprint is replaced (by the later one when a fingerprint repeats in `alerts`).
  // A batch costs less per alert than single inserts: the groups' table slots are prefetched a
  // few alerts ahead (libs/common/prefetch_ahead.h; bench/hold_bench.cc measures it).
  void Insert(absl::Span<const store::SharedAlert> alerts, absl::Time now);
  void Insert(const store::SharedAlert& alert, absl::Time now) {
    Insert(absl::MakeConstSpan(&alert, 1), now);
  }

  // When the next group is due; nullopt when no group waits.
  std::optional<absl::Time> NextDeadline() const;

  // Takes every group due at `now`: returns their snapshots and schedules their next tick at
  // tick + group_interval. Empty groups are destroyed instead of flushed.
  std::vector<Flush> TakeDue(absl::Time now);

  // Reports a flush's outcome. On success its resolved alerts, unless updated since the flush,
  // leave the group. Either way the group may flush again.
  void Complete(uint64_t flush_id, bool delivered);

  // Replaces the routing tree: groups are rebuilt from the held alerts (which keep their
  // state), as Alertmanager does on reload; the notification log prevents repeats. A group
  // whose key the new tree still produces keeps its next flush time and its flush in flight
  // (it is not flushed again until that one completes); groups with a new key are timed as
  // new groups.
  void Reload(std::shared_ptr<const Route> root, absl::Time now);

  std::size_t group_count() const { return groups_.size(); }
  std::size_t alert_count() const;

 private:
  struct Group {
    std::string key;
    const Route* route = nullptr;
    alert::LabelSet labels;
    // The versions the store made (shared_alert.h): a group holds every alert routed to it
    // until it was delivered resolved, so with one big group it holds as many as the store.
    store::SharedAlertSet alerts;
    absl::Time next_flush;
    bool scheduled = false;    // next_flush is in deadlines_
    uint64_t in_flight = 0;    // id of the flush out, 0 when none
    // (fingerprint, updated_at) of the resolved alerts in the flush out.
    std::vector<std::pair<uint64_t, absl::Time>> flushed_resolved;
  };

  void Schedule(Group& group, absl::Time at);
  void Unschedule(Group& group);

  std::shared_ptr<const Route> root_;
  // A node map: Insert keeps pointers to groups while later alerts of its batch create more.
  absl::node_hash_map<std::string, Group> groups_;
  std::set<std::pair<absl::Time, std::string>> deadlines_;
  absl::flat_hash_map<uint64_t, std::string> in_flight_;  // flush id → group key
  uint64_t next_flush_id_ = 1;
};

// Alertmanager's alert order within a notification: by `job`, then `instance` (alerts having
// the label first), then label sets (fewer labels first, then first differing pair).
void SortForNotification(std::vector<alert::Alert>& alerts);

}  // namespace wecom_notify::dispatch

#endif  // WECOM_NOTIFY_LIBS_DISPATCH_DISPATCHER_H_
