// File: libs/common/prefetch_ahead.h
//
// ForEachPrefetchingAhead(items, prefetch, visit) calls visit(item) for each item in order, and
// prefetch(item) for each item kPrefetchDistance places before its visit.
//
// Why. Inserting a key into a hash table far larger than the CPU caches — notifyd's store, its
// groups and its version index hold every active alert — costs a cache miss or two (the
// control bytes, then the slot), and one insert after another waits for each miss in turn. When
// a batch's keys are known up front, asking for their memory a few keys ahead lets the misses
// overlap (absl's raw_hash_set::prefetch issues exactly those loads). Measured on notifyd's
// batched ingest in docs/performance.md.
//
// `prefetch` must not change anything a `visit` depends on: a prefetch only hints the CPU, and
// one made stale by an earlier visit (a table that grew meanwhile) costs nothing but the hint.

#ifndef WECOM_NOTIFY_LIBS_COMMON_PREFETCH_AHEAD_H_
#define WECOM_NOTIFY_LIBS_COMMON_PREFETCH_AHEAD_H_

#include <cstddef>

namespace wecom_notify {

// Far enough ahead that a miss (~100 ns) is covered by the visits in between, near enough that
// the prefetched lines are still cached when their visit comes.
inline constexpr std::size_t kPrefetchDistance = 8;

template <typename Items, typename Prefetch, typename Visit>
void ForEachPrefetchingAhead(Items& items, const Prefetch& prefetch, const Visit& visit) {
  const std::size_t size = items.size();
  for (std::size_t i = 0; i < size && i < kPrefetchDistance; ++i) prefetch(items[i]);
  for (std::size_t i = 0; i < size; ++i) {
    if (i + kPrefetchDistance < size) prefetch(items[i + kPrefetchDistance]);
    visit(items[i]);
  }
}

}  // namespace wecom_notify

#endif  // WECOM_NOTIFY_LIBS_COMMON_PREFETCH_AHEAD_H_
