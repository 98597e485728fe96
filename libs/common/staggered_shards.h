// File: libs/common/staggered_shards.h
//
// StaggeredShards<Shard, kShards> holds kShards shards (typically hash tables, or a table with its
// mutex) and says which one a key belongs to, giving them unequal shares so that they grow one
// after another instead of all at once.
//
// Why. A hash table grows by moving every entry into a table twice the size, while its owner
// holds the lock that guards it. Sharding a big table into equal parts does not shorten that
// pause in aggregate: with uniformly hashed keys the parts fill at the same rate and reach their
// growth points within a few hundred inserts of each other, so a burst of inserts still pays
// for moving every entry. Here shard i takes a share proportional to 2^(i/kShards): each shard
// reaches its growth point 2^(1/kShards) times later than the one before, the kShards growths
// come evenly spaced over each doubling of the entries, and one growth moves at most the
// largest share (~1/12 of the entries for 16 shards). Measured: notifyd's fingerprint index of
// 2M alerts paused every commit for ~400 ms at once with one table (docs/performance.md).
//
// Keys are mixed (Fibonacci hashing) before they are split, so keys that are not hashes, such
// as a test's 1, 2, 3, spread too.
//
// Thread-safety: the key-to-shard split is immutable, so IndexOf()/For() may be called from any
// thread; guarding each shard's contents is the owner's business.

#ifndef WECOM_NOTIFY_LIBS_COMMON_STAGGERED_SHARDS_H_
#define WECOM_NOTIFY_LIBS_COMMON_STAGGERED_SHARDS_H_

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace wecom_notify {

template <typename Shard, std::size_t kShards>
class StaggeredShards {
  static_assert(kShards >= 2, "one shard needs no staggering");

 public:
  StaggeredShards() {
    double total = 0;
    for (std::size_t i = 0; i < kShards; ++i) total += Weight(i);
    double cumulative = 0;
    for (std::size_t i = 0; i + 1 < kShards; ++i) {
      cumulative += Weight(i);
      upper_bounds_[i] = static_cast<uint32_t>(cumulative / total * 4294967296.0);
    }
  }

  // The shard of `key`.
  Shard& For(uint64_t key) { return shards_[IndexOf(key)]; }
  const Shard& For(uint64_t key) const { return shards_[IndexOf(key)]; }

  // Every shard, for walks over the whole table.
  auto begin() { return shards_.begin(); }
  auto end() { return shards_.end(); }
  auto begin() const { return shards_.begin(); }
  auto end() const { return shards_.end(); }

  // The index of `key`'s shard, in [0, kShards).
  std::size_t IndexOf(uint64_t key) const {
    const auto mixed = static_cast<uint32_t>((key * 0x9E3779B97F4A7C15ULL) >> 32);
    return static_cast<std::size_t>(
        std::upper_bound(upper_bounds_.begin(), upper_bounds_.end(), mixed) -
        upper_bounds_.begin());
  }

  // Shard i's expected share of the keys, in (0, 1).
  static double Share(std::size_t i) {
    double total = 0;
    for (std::size_t j = 0; j < kShards; ++j) total += Weight(j);
    return Weight(i) / total;
  }

 private:
  static double Weight(std::size_t i) {
    return std::exp2(static_cast<double>(i) / static_cast<double>(kShards));
  }

  // Shard i takes the mixed keys below upper_bounds_[i] and at or above the previous bound; the
  // last shard takes the rest.
  std::array<uint32_t, kShards - 1> upper_bounds_;
  std::array<Shard, kShards> shards_;
};

}  // namespace wecom_notify

#endif  // WECOM_NOTIFY_LIBS_COMMON_STAGGERED_SHARDS_H_
