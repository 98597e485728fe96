#include "libs/storage/version_index.h"

namespace wecom_notify::storage {

const VersionIndex::Version* VersionIndex::Find(uint64_t fingerprint) const {
  const Shard& shard = shards_.For(fingerprint);
  const auto it = shard.find(fingerprint);
  return it == shard.end() ? nullptr : &it->second;
}

void VersionIndex::Set(uint64_t fingerprint, Version version) {
  shards_.For(fingerprint).insert_or_assign(fingerprint, version);
}

void VersionIndex::Erase(uint64_t fingerprint) { shards_.For(fingerprint).erase(fingerprint); }

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
