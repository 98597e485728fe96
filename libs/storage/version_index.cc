#include "libs/storage/version_index.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace wecom_notify::storage {

VersionIndex::VersionIndex() {
  double total = 0;
  for (int i = 0; i < kShards; ++i) total += std::exp2(static_cast<double>(i) / kShards);
  double cumulative = 0;
  for (int i = 0; i < kShards - 1; ++i) {
    cumulative += std::exp2(static_cast<double>(i) / kShards);
    upper_bounds_[i] = static_cast<uint32_t>(cumulative / total * 4294967296.0);
  }
}

VersionIndex::Shard& VersionIndex::ShardOf(uint64_t fingerprint) {
  return const_cast<Shard&>(std::as_const(*this).ShardOf(fingerprint));
}

const VersionIndex::Shard& VersionIndex::ShardOf(uint64_t fingerprint) const {
  // Fingerprints are hashes already; the multiply (Fibonacci hashing) keeps the shares even
  // for keys that are not, such as a test's 1, 2, 3.
  const auto mixed = static_cast<uint32_t>((fingerprint * 0x9E3779B97F4A7C15ULL) >> 32);
  const auto shard =
      std::upper_bound(upper_bounds_.begin(), upper_bounds_.end(), mixed) - upper_bounds_.begin();
  return shards_[shard];
}

const VersionIndex::Version* VersionIndex::Find(uint64_t fingerprint) const {
  const Shard& shard = ShardOf(fingerprint);
  const auto it = shard.find(fingerprint);
  return it == shard.end() ? nullptr : &it->second;
}

void VersionIndex::Set(uint64_t fingerprint, Version version) {
  ShardOf(fingerprint).insert_or_assign(fingerprint, version);
}

void VersionIndex::Erase(uint64_t fingerprint) { ShardOf(fingerprint).erase(fingerprint); }

void VersionIndex::Clear() {
  for (Shard& shard : shards_) shard.clear();
}

std::size_t VersionIndex::size() const {
  std::size_t size = 0;
  for (const Shard& shard : shards_) size += shard.size();
  return size;
}

std::size_t VersionIndex::capacity() const {
  std::size_t capacity = 0;
  for (const Shard& shard : shards_) capacity += shard.capacity();
  return capacity;
}

}  // namespace wecom_notify::storage
