// Tests for libs/storage/version_index.h.

#include "libs/storage/version_index.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "gtest/gtest.h"

namespace wecom_notify::storage {
namespace {

TEST(VersionIndexTest, HoldsTheLastVersionSetPerFingerprint) {
  VersionIndex index;
  EXPECT_EQ(index.Find(1), std::nullopt);
  index.Set(1, 10);
  index.Set(2, 11);
  index.Set(1, 12);
  EXPECT_EQ(index.Find(1), 12);
  EXPECT_EQ(index.Find(2), 11);
  EXPECT_EQ(index.size(), 2u);

  index.Erase(1);
  index.Erase(3);  // unknown: nothing happens
  EXPECT_EQ(index.Find(1), std::nullopt);
  EXPECT_EQ(index.size(), 1u);

  index.Clear();
  EXPECT_EQ(index.Find(2), std::nullopt);
  EXPECT_EQ(index.size(), 0u);
}

// An entry keeps the seq's low 32 bits; the seq comes back whole from anywhere in the span the
// index allows, across multiples of 2^32, and after the log starts again from 1.
TEST(VersionIndexTest, SeqsComeBackWholeAcrossThirtyTwoBits) {
  constexpr int64_t k2to32 = int64_t{1} << 32;
  VersionIndex index;
  const int64_t oldest = 3 * k2to32 - 5;
  index.Set(1, oldest);
  index.Set(2, 3 * k2to32);
  index.Set(3, 3 * k2to32 + 7);
  const int64_t newest = oldest + VersionIndex::kMaxSpan - 1;  // the widest span allowed
  index.Set(4, newest);
  EXPECT_EQ(index.Find(1), oldest);
  EXPECT_EQ(index.Find(2), 3 * k2to32);
  EXPECT_EQ(index.Find(3), 3 * k2to32 + 7);
  EXPECT_EQ(index.Find(4), newest);
  index.Set(1, newest - 1);  // an older seq set again, below the newest
  EXPECT_EQ(index.Find(1), newest - 1);
  EXPECT_EQ(index.Find(4), newest);

  for (uint64_t fingerprint = 1; fingerprint <= 4; ++fingerprint) index.Erase(fingerprint);
  index.Set(5, 1);  // an empty log numbers its rows from 1 again
  EXPECT_EQ(index.Find(5), 1);
  index.Clear();
  index.Set(6, 2);
  EXPECT_EQ(index.Find(6), 2);
}

TEST(VersionIndexTest, ManyFingerprintsEachKeepTheirLastVersion) {
  VersionIndex index;
  absl::flat_hash_map<uint64_t, int64_t> want;
  std::mt19937_64 random(7);
  for (int64_t seq = 0; seq < 5000; ++seq) {
    const uint64_t fingerprint = seq < 100 ? static_cast<uint64_t>(seq) : random();
    index.Set(fingerprint, seq);
    want[fingerprint] = seq;
  }
  for (const auto& [fingerprint, seq] : want) {
    EXPECT_EQ(index.Find(fingerprint), seq) << fingerprint;
  }
  EXPECT_EQ(index.size(), want.size());
}

// The reason the index exists: growing never moves all entries at once, and growths do not
// bunch up (with equal shards, all sixteen would grow within a few hundred inserts).
TEST(VersionIndexTest, GrowthsMoveASmallShareAndAreSpreadOut) {
  VersionIndex index;
  std::mt19937_64 random(42);
  constexpr std::size_t kInserts = 2'000'000;
  constexpr std::size_t kCheckFrom = 500'000;  // shares are steady by then (±0.5 %)
  std::size_t capacity = index.capacity();
  std::size_t last_growth_at = 0;
  int growths = 0;
  for (std::size_t n = 1; n <= kInserts; ++n) {
    index.Set(random(), static_cast<int64_t>(n));
    const std::size_t grown = index.capacity();
    if (grown == capacity) continue;
    if (n >= kCheckFrom) {
      ++growths;
      EXPECT_LE(grown - capacity, capacity / 8) << "growth at insert " << n;
      EXPECT_GE(n - last_growth_at, n / 64)
          << "growth at insert " << n << " follows the previous one at " << last_growth_at;
    }
    capacity = grown;
    last_growth_at = n;
  }
  EXPECT_EQ(index.size(), kInserts);
  // Two doublings (500k → 2M) grow each shard twice.
  EXPECT_GE(growths, 28);
  EXPECT_LE(growths, 36);
}

}  // namespace
}  // namespace wecom_notify::storage
