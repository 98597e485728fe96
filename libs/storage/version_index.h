// File: libs/storage/version_index.h
//
// VersionIndex maps an alert's fingerprint to where its current version is in the alert log
// (SqliteStateStore's "Why a log"): the row's seq. Nothing else, because it holds an entry per
// alert: ends_at, which Prune needs, is read from the row (Prune's candidates come from memory).
//
// Why not one hash map. A table grows by moving every entry, and the store holds its mutex
// meanwhile: with one table of 2M alerts that was a ~400 ms pause of every commit, and so of
// every durable acknowledgement (100-alert requests on 64 connections, docs/performance.md),
// growing with the alerts held. The index is split into StaggeredShards
// (libs/common/staggered_shards.h), which grow one at a time.
//
// Thread-safety: none; the owner serializes calls.

#ifndef WECOM_NOTIFY_LIBS_STORAGE_VERSION_INDEX_H_
#define WECOM_NOTIFY_LIBS_STORAGE_VERSION_INDEX_H_

#include <cstddef>
#include <cstdint>

#include "absl/container/flat_hash_map.h"
#include "libs/common/staggered_shards.h"

namespace wecom_notify::storage {

class VersionIndex {
 public:
  // Where an alert's current version is in the log.
  struct Version {
    int64_t seq;  // its row
  };

  // The version of `fingerprint`, or nullptr. Valid until the next Set, Erase or Clear.
  const Version* Find(uint64_t fingerprint) const;

  // Makes `version` the current version of `fingerprint`.
  void Set(uint64_t fingerprint, Version version);

  // Forgets `fingerprint`; nothing when it is unknown.
  void Erase(uint64_t fingerprint);

  void Clear();

  // Number of fingerprints held.
  std::size_t size() const;

  // Slots allocated across the shards (memory ~ capacity × 17 bytes).
  std::size_t capacity() const;

 private:
  static constexpr std::size_t kShards = 16;
  using Shard = absl::flat_hash_map<uint64_t, Version>;

  StaggeredShards<Shard, kShards> shards_;
};

}  // namespace wecom_notify::storage

#endif  // WECOM_NOTIFY_LIBS_STORAGE_VERSION_INDEX_H_
