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
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/alert/alert.h"
#include "libs/alert/annotation_source.h"
#include "libs/alert/matcher.h"
#include "libs/common/staggered_shards.h"
#include "libs/store/shared_alert.h"

namespace wecom_notify::store {

enum class StateFilter { kAll, kFiring, kResolved };

// Whether the store keeps its alerts' annotations (its versions never carry them). kHeld: aside
// by fingerprint, for Get, List and ReadAnnotations. kDropped: not at all — a durable store
// keeps them (storage::StateStore serves them), and the alerts Get and List return have none.
enum class Annotations { kHeld, kDropped };

class AlertStore : public alert::AnnotationSource {
 public:
  explicit AlertStore(Annotations kept = Annotations::kHeld) : kept_(kept) {}
  AlertStore(const AlertStore&) = delete;
  AlertStore& operator=(const AlertStore&) = delete;

  // Put()
  //
  // Stores each alert, merging with a held alert of the same fingerprint, and returns the alerts
  // as stored (merged), in input order. When `versions` is not null, appends each one's version
  // as stored to it, in the same order, for others who hold alerts (the dispatcher's groups
  // share the store's versions instead of copying them; versions carry no annotations). The
  // alerts returned have annotations — what the caller stores durably: the posted ones, or the
  // held ones where Merge keeps the held alert's content (a post stamped before it, after the
  // clock stepped back); with Annotations::kDropped, which keeps none, the posted ones then too.
  // REQUIRES: every alert was normalized (alert::Normalize) and validated.
  std::vector<alert::Alert> Put(std::vector<alert::Alert> alerts, absl::Time now,
                                std::vector<SharedAlert>* versions = nullptr);

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

  // alert::AnnotationSource, with Annotations::kHeld (FailedPrecondition with kDropped).
  absl::Status ReadAnnotations(absl::Span<alert::Alert> alerts) override;

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

  struct Shard {
    mutable absl::Mutex mu;
    SharedAlertSet alerts ABSL_GUARDED_BY(mu);
    // The URL of the last alert put into this shard: an incoming alert with the same URL takes
    // this block and frees its own, so alerts of one rule share one copy across requests.
    alert::SharedText recent_url ABSL_GUARDED_BY(mu);
    // With Annotations::kHeld, the annotations of the alerts held (none kept for an alert
    // posted without any).
    absl::flat_hash_map<uint64_t, alert::LabelSet> annotations ABSL_GUARDED_BY(mu);
  };

  // With Annotations::kHeld: keeps `alert`'s annotations aside; the ones kept (none: empty).
  static void KeepAnnotations(Shard& shard, const alert::Alert& alert)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  static alert::LabelSet KeptAnnotations(const Shard& shard, uint64_t fingerprint)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);

  const Annotations kept_;
  // Unequal shards, so that they grow one at a time (staggered_shards.h): equal ones grew
  // within a few inserts of each other, a pause of ingest as long as growing one whole table.
  StaggeredShards<Shard, kShards> shards_;
};

}  // namespace wecom_notify::store

#endif  // WECOM_NOTIFY_LIBS_STORE_ALERT_STORE_H_
