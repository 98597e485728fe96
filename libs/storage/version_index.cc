#include "libs/storage/version_index.h"

namespace wecom_notify::storage {

std::optional<int64_t> VersionIndex::Find(uint64_t fingerprint) const {
  const Shard& shard = shards_.For(fingerprint);
  const auto it = shard.find(fingerprint);
  if (it == shard.end()) return std::nullopt;
  // Unsigned arithmetic wraps: the distance below newest_seq_, modulo 2^32, is the distance.
  const uint32_t below_newest = static_cast<uint32_t>(newest_seq_) - it->seq_low;
  return newest_seq_ - int64_t{below_newest};
}

void VersionIndex::Set(uint64_t fingerprint, int64_t seq) {
  // The log's rowids start again at 1 only when it is empty, so then nothing is held.
  if (seq > newest_seq_ || size() == 0) newest_seq_ = seq;
  const auto seq_low = static_cast<uint32_t>(seq);
  Shard& shard = shards_.For(fingerprint);
  const auto it = shard.lazy_emplace(fingerprint, [&](const auto& construct) {
    construct(Entry{static_cast<uint32_t>(fingerprint), static_cast<uint32_t>(fingerprint >> 32),
                    seq_low});
  });
  it->seq_low = seq_low;
}

void VersionIndex::Erase(uint64_t fingerprint) { shards_.For(fingerprint).erase(fingerprint); }

void VersionIndex::Clear() {
  for (Shard& shard : shards_) shard.clear();
  newest_seq_ = 0;
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
