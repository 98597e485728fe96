// File: libs/storage/version_index.h
//
// VersionIndex maps an alert's fingerprint to where its current version is in the alert log
// (SqliteStateStore's "Why a log"): the row's seq, and the alert's ends_at for Prune.
//
// Why not one hash map. A hash table grows by moving every entry into a table twice the size,
// and the store's owner holds the store's mutex meanwhile: with one table of 2M alerts that is a
// ~400 ms pause of every commit, and so of every durable acknowledgement (measured at 100-alert
// requests on 64 connections, docs/performance.md), growing in proportion to the alerts held.
// Sharding alone does not help: equal shards fill at the same rate and grow within a few
// batches of each other. So the shards take unequal shares of the fingerprints, in geometric
// steps of 2^(1/kShards): shard i reaches its growth point after shard i-1 by a factor of
// 2^(1/kShards) more alerts, and the growths spread evenly over each doubling of the index. An
// insert moves at most the largest shard's share, ~1/12 of the entries.
//
// Thread-safety: none; the owner serializes calls.

#ifndef WECOM_NOTIFY_LIBS_STORAGE_VERSION_INDEX_H_
#define WECOM_NOTIFY_LIBS_STORAGE_VERSION_INDEX_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/container/flat_hash_map.h"

namespace wecom_notify::storage {

class VersionIndex {
 public:
  // Where an alert's current version is in the log.
  struct Version {
    int64_t seq;      // its row
    int64_t ends_at;  // codec.h EncodeTime of Alert::ends_at
  };

  VersionIndex();

  // The version of `fingerprint`, or nullptr. Valid until the next Set, Erase or Clear.
  const Version* Find(uint64_t fingerprint) const;

  // Makes `version` the current version of `fingerprint`.
  void Set(uint64_t fingerprint, Version version);

  // Forgets `fingerprint`; nothing when it is unknown.
  void Erase(uint64_t fingerprint);

  void Clear();

  // Number of fingerprints held.
  std::size_t size() const;

  // Slots allocated across the shards (memory ~ capacity × 25 bytes).
  std::size_t capacity() const;

  // Calls fn(fingerprint, version) for each fingerprint, in no particular order. `fn` must not
  // change the index.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const auto& shard : shards_) {
      for (const auto& [fingerprint, version] : shard) fn(fingerprint, version);
    }
  }

 private:
  static constexpr int kShards = 16;

  using Shard = absl::flat_hash_map<uint64_t, Version>;
  Shard& ShardOf(uint64_t fingerprint);
  const Shard& ShardOf(uint64_t fingerprint) const;

  // Shard i takes the fingerprints whose mixed 32 bits are below upper_bounds_[i] (and at or
  // above the previous bound); the last shard takes the rest.
  std::array<uint32_t, kShards - 1> upper_bounds_;
  std::array<Shard, kShards> shards_;
};

}  // namespace wecom_notify::storage

#endif  // WECOM_NOTIFY_LIBS_STORAGE_VERSION_INDEX_H_
