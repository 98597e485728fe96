// Tests for libs/common/staggered_shards.h. That the shares make hash tables grow one at a time
// is tested where it is used (tests/storage/version_index_test.cc).

#include "libs/common/staggered_shards.h"

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>

#include "gtest/gtest.h"

namespace wecom_notify {
namespace {

// The split alone is under test; the shards themselves are placeholders.
using Shards = StaggeredShards<int, 16>;

TEST(StaggeredShardsTest, SharesGrowGeometricallyAndSumToOne) {
  double sum = 0;
  for (std::size_t i = 0; i < 16; ++i) {
    sum += Shards::Share(i);
    if (i > 0) {
      EXPECT_NEAR(Shards::Share(i) / Shards::Share(i - 1), std::exp2(1.0 / 16), 1e-9);
    }
  }
  EXPECT_NEAR(sum, 1.0, 1e-9);
  EXPECT_LT(Shards::Share(15), 1.0 / 11);
}

TEST(StaggeredShardsTest, KeysFollowTheShares) {
  const Shards shards;
  std::array<std::size_t, 16> random_counts{};
  std::array<std::size_t, 16> sequential_counts{};
  std::mt19937_64 random(1);
  constexpr std::size_t kKeys = 1'000'000;
  for (std::size_t n = 0; n < kKeys; ++n) {
    const std::size_t shard = shards.IndexOf(random());
    ASSERT_LT(shard, 16u);
    ++random_counts[shard];
    ++sequential_counts[shards.IndexOf(n)];
  }
  for (std::size_t i = 0; i < 16; ++i) {
    const double want = Shards::Share(i) * kKeys;
    // ±3 % is > 10 standard deviations of a binomial count this size.
    EXPECT_NEAR(random_counts[i], want, want * 0.03) << "shard " << i;
    EXPECT_NEAR(sequential_counts[i], want, want * 0.03) << "shard " << i << ", keys 0, 1, 2, …";
  }
}

TEST(StaggeredShardsTest, SameKeySameShard) {
  const Shards a;
  const Shards b;
  for (uint64_t key : {0ULL, 1ULL, 42ULL, ~0ULL, 0x123456789abcdefULL}) {
    EXPECT_EQ(a.IndexOf(key), b.IndexOf(key));
    EXPECT_EQ(a.IndexOf(key), a.IndexOf(key));
  }
}

}  // namespace
}  // namespace wecom_notify
