#include "libs/common/block_pool.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

namespace wecom_notify {
namespace {

TEST(BlockPoolTest, BlockSizeIsRoundedToEightBytes) {
  EXPECT_EQ(BlockPool(1).block_size(), 8u);
  EXPECT_EQ(BlockPool(13).block_size(), 16u);
  EXPECT_EQ(BlockPool(64).block_size(), 64u);
}

TEST(BlockPoolTest, BlocksAreAlignedAndDoNotOverlap) {
  BlockPool pool(24);
  const std::size_t count = 3 * (BlockPool::kSlabBytes / 24);  // three slabs full
  std::vector<unsigned char*> blocks;
  for (std::size_t i = 0; i < count; ++i) {
    auto* block = static_cast<unsigned char*>(pool.Allocate());
    EXPECT_EQ(reinterpret_cast<uintptr_t>(block) % 8, 0u);
    std::memset(block, static_cast<int>(i % 251), 24);
    blocks.push_back(block);
  }
  for (std::size_t i = 0; i < count; ++i) {
    for (int b = 0; b < 24; ++b) ASSERT_EQ(blocks[i][b], i % 251) << "block " << i;
  }
  EXPECT_EQ(std::set<unsigned char*>(blocks.begin(), blocks.end()).size(), count);
  EXPECT_EQ(pool.reserved_bytes(), 3 * BlockPool::kSlabBytes);
  for (unsigned char* block : blocks) pool.Deallocate(block);
}

TEST(BlockPoolTest, FreedBlocksAreReusedBeforeNewSlabs) {
  BlockPool pool(64);
  std::vector<void*> blocks;
  for (int i = 0; i < 1000; ++i) blocks.push_back(pool.Allocate());
  const std::size_t reserved = pool.reserved_bytes();
  for (int round = 0; round < 10; ++round) {
    for (void* block : blocks) pool.Deallocate(block);
    std::set<void*> before(blocks.begin(), blocks.end());
    for (void*& block : blocks) {
      block = pool.Allocate();
      EXPECT_TRUE(before.count(block)) << "a new block while freed ones waited";
    }
  }
  EXPECT_EQ(pool.reserved_bytes(), reserved);
  for (void* block : blocks) pool.Deallocate(block);
}

// As notifyd uses it: one thread makes objects, others let go of them.
TEST(BlockPoolTest, ThreadsMayAllocateAndDeallocateConcurrently) {
  BlockPool pool(64);
  constexpr int kThreads = 4;
  constexpr int kRounds = 2'000;
  constexpr int kPerRound = 16;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&pool, t] {
      std::vector<uint64_t*> held;
      for (int round = 0; round < kRounds; ++round) {
        for (int i = 0; i < kPerRound; ++i) {
          auto* block = static_cast<uint64_t*>(pool.Allocate());
          const uint64_t mark = uint64_t(t) << 32 | uint64_t(round * kPerRound + i);
          for (int w = 0; w < 8; ++w) block[w] = mark;
          held.push_back(block);
        }
        for (uint64_t* block : held) {
          for (int w = 0; w < 8; ++w) {
            ASSERT_EQ(block[w] >> 32, uint64_t(t)) << "a block handed to two threads at once";
          }
          pool.Deallocate(block);
        }
        held.clear();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  // No more slabs than every thread's blocks out at once need.
  EXPECT_LE(pool.reserved_bytes(),
            (kThreads * kPerRound * 64 / BlockPool::kSlabBytes + 1) * BlockPool::kSlabBytes);
}

#if defined(__SANITIZE_ADDRESS__)
TEST(BlockPoolDeathTest, UseAfterFreeIsReportedUnderAddressSanitizer) {
  BlockPool pool(32);
  auto* block = static_cast<volatile char*>(pool.Allocate());
  pool.Deallocate(const_cast<char*>(block));
  EXPECT_DEATH(block[8] = 1, "use-after-poison");
}
#endif

}  // namespace
}  // namespace wecom_notify
