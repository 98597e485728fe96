// File: libs/storage/version_index.h
//
// VersionIndex maps an alert's fingerprint to where its current version is in the alert log
// (SqliteStateStore's "Why a log"): the row's seq. Nothing else, because it holds an entry per
// alert: ends_at, which Prune needs, is read from the row (Prune's candidates come from memory).
//
// An entry is 12 bytes: the fingerprint and the seq's low 32 bits. The seq is whole again by
// its distance below the largest seq set (newest_seq_), which is exact as long as the seqs held
// span fewer than kMaxSpan rows — the store refuses to let its log grow that long (4 billion
// rows; compaction keeps it near the number of alerts held). A 16-byte entry (fingerprint and
// a whole seq) cost ~26 bytes per alert with the tables' free slots; this one ~20.
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
#include <optional>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "libs/common/staggered_shards.h"

namespace wecom_notify::storage {

class VersionIndex {
 public:
  // The seqs held must lie within fewer than this many rows of the largest one set since the
  // index was last empty.
  static constexpr int64_t kMaxSpan = int64_t{1} << 32;

  // The seq of `fingerprint`'s current version, or nullopt.
  std::optional<int64_t> Find(uint64_t fingerprint) const;
  // Makes `seq` the row of `fingerprint`'s current version. REQUIRES: seq >= 0, and the seqs
  // held, `seq` among them, span fewer than kMaxSpan rows.
  void Set(uint64_t fingerprint, int64_t seq);
  // Forgets `fingerprint`; nothing when it is unknown.
  void Erase(uint64_t fingerprint);
  void Clear();
  // Number of fingerprints held.
  std::size_t size() const;
  // Slots allocated across the shards (memory ~ capacity × 13 bytes).
  std::size_t capacity() const;

 private:
  struct Entry {
    uint32_t fingerprint_low;
    uint32_t fingerprint_high;
    // Replaced in place by Set: not part of the key.
    mutable uint32_t seq_low;

    uint64_t fingerprint() const { return uint64_t{fingerprint_high} << 32 | fingerprint_low; }
  };
  struct ByFingerprint {
    using is_transparent = void;
    std::size_t operator()(uint64_t fingerprint) const {
      return absl::Hash<uint64_t>()(fingerprint);
    }
    std::size_t operator()(const Entry& entry) const { return (*this)(entry.fingerprint()); }
    bool operator()(const Entry& a, const Entry& b) const {
      return a.fingerprint() == b.fingerprint();
    }
    bool operator()(const Entry& a, uint64_t fingerprint) const {
      return a.fingerprint() == fingerprint;
    }
    bool operator()(uint64_t fingerprint, const Entry& a) const {
      return a.fingerprint() == fingerprint;
    }
  };
  static_assert(sizeof(Entry) == 12, "an index entry grew");

  static constexpr std::size_t kShards = 16;
  using Shard = absl::flat_hash_set<Entry, ByFingerprint, ByFingerprint>;
  StaggeredShards<Shard, kShards> shards_;
  // The largest seq set since the index was last empty: every seq held is within kMaxSpan below.
  int64_t newest_seq_ = 0;
};

}  // namespace wecom_notify::storage

#endif  // WECOM_NOTIFY_LIBS_STORAGE_VERSION_INDEX_H_
