// File: libs/store/alert_store.h
//
// AlertStore holds the active alerts of notifyd, keyed by fingerprint, with Alertmanager's
// update rules (see alert::Merge): a re-post of the same label set updates the stored alert, an
// alert whose ends_at has passed is resolved, and resolved alerts stay listed until collected.
//
// Cost: Put and Get are O(1) per alert (hash lookup in one of several independently locked
// shards, so concurrent ingest threads rarely contend, and growing one moves at most ~1/12 of
// the alerts); List is O(n log n) in the alerts held.
//
// Thread-safety: every method may be called concurrently from any thread.

#ifndef WECOM_NOTIFY_LIBS_STORE_ALERT_STORE_H_
#define WECOM_NOTIFY_LIBS_STORE_ALERT_STORE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/node_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/alert/alert.h"
#include "libs/alert/matcher.h"
#include "libs/common/staggered_shards.h"
#include "libs/store/node_pool.h"
#include "libs/store/packed_time.h"

namespace wecom_notify::store {

enum class StateFilter { kAll, kFiring, kResolved };

class AlertStore {
 public:
  AlertStore() = default;
  AlertStore(const AlertStore&) = delete;
  AlertStore& operator=(const AlertStore&) = delete;

  // Put()
  //
  // Stores each alert, merging with a held alert of the same fingerprint, and returns the alerts
  // as stored (merged), in input order. REQUIRES: every alert was normalized (alert::Normalize)
  // and validated.
  std::vector<alert::Alert> Put(std::vector<alert::Alert> alerts, absl::Time now);

  // The alert with `fingerprint`, or nullopt.
  std::optional<alert::Alert> Get(uint64_t fingerprint) const;

  // List()
  //
  // Copies of the alerts matching every matcher and the state filter (judged at `now`), sorted
  // by fingerprint as Alertmanager's API sorts them.
  std::vector<alert::Alert> List(const std::vector<alert::Matcher>& matchers, StateFilter state,
                                 absl::Time now) const;

  // Forgets alerts resolved at or before `resolved_before`. Returns their fingerprints, in no
  // particular order (the durable store prunes the same alerts: storage::StateStore::Prune).
  std::vector<uint64_t> CollectResolved(absl::Time resolved_before);

  // Number of alerts held, firing or resolved.
  std::size_t size() const;

  // Numbers of alerts held that are firing and resolved at `now` (for metrics; O(n), no copy).
  struct StateCounts {
    std::size_t firing = 0;
    std::size_t resolved = 0;
  };
  StateCounts CountByState(absl::Time now) const;

 private:
  static constexpr std::size_t kShards = 16;

  // An alert as held: alert::Alert without the fingerprint (the map's key) and with packed
  // times, so that a held alert's node (Node: key and value) is 64 bytes, from the shard's pool
  // without malloc's header (node_pool.h), instead of 112 in a 128-byte chunk. Put and Get
  // convert; the label sets and URL are shared, not copied.
  struct StoredAlert {
    explicit StoredAlert(const alert::Alert& alert);
    alert::Alert ToAlert(uint64_t fingerprint) const;
    bool ResolvedAt(absl::Time now) const;

    alert::LabelSet labels;
    alert::LabelSet annotations;
    alert::SharedText generator_url;
    PackedTime starts_at;
    PackedTime ends_at;
    PackedTime updated_at;
    bool ends_at_from_timeout;
  };

  using Node = std::pair<const uint64_t, StoredAlert>;
  // What every held alert costs (docs/performance.md counts it): growing it is a decision.
  static_assert(sizeof(Node) == 64, "a held alert's node grew");

  struct Shard {
    Shard()
        : alerts(0, absl::Hash<uint64_t>(), std::equal_to<uint64_t>(),
                 NodeAllocator<Node>(&nodes)) {}

    mutable absl::Mutex mu;
    // The nodes' memory, exactly sizeof(Node) per alert (node_pool.h). Declared before the
    // table, which returns its nodes here when destroyed.
    NodePool nodes ABSL_GUARDED_BY(mu){sizeof(Node)};
    // Nodes, not inline slots: growing the table moves pointers instead of alerts (a pause of
    // ingest under load), and an empty slot costs 8 bytes instead of an alert's.
    absl::node_hash_map<uint64_t, StoredAlert, absl::Hash<uint64_t>, std::equal_to<uint64_t>,
                        NodeAllocator<Node>>
        alerts ABSL_GUARDED_BY(mu);
    // The URL of the last alert put into this shard: an incoming alert with the same URL takes
    // this block and frees its own, so alerts of one rule share one copy across requests.
    alert::SharedText recent_url ABSL_GUARDED_BY(mu);
  };

  // Unequal shards, so that they grow one at a time (staggered_shards.h): equal ones grew
  // within a few inserts of each other, a pause of ingest as long as growing one whole table.
  StaggeredShards<Shard, kShards> shards_;
};

}  // namespace wecom_notify::store

#endif  // WECOM_NOTIFY_LIBS_STORE_ALERT_STORE_H_
