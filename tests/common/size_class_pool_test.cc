#include "libs/common/size_class_pool.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace wecom_notify {
namespace {

// The point of the pool: a block takes its size rounded up to 8, not malloc's chunk.
TEST(SizeClassPoolTest, BlocksTakeTheirSizeRoundedToEight) {
  SizeClassPool pool;
  const std::size_t count = BlockPool::kSlabBytes / 56 * 3;  // three slabs of 56-byte blocks
  std::vector<void*> blocks;
  for (std::size_t i = 0; i < count; ++i) blocks.push_back(pool.Allocate(54));
  EXPECT_EQ(pool.reserved_bytes(54), 3 * BlockPool::kSlabBytes);
  EXPECT_EQ(pool.reserved_bytes(49), pool.reserved_bytes(56));  // one class
  EXPECT_EQ(pool.reserved_bytes(48), 0u);                       // another, unused
  for (void* block : blocks) pool.Deallocate(block, 54);
}

TEST(SizeClassPoolTest, EverySizeGetsAWritableAlignedBlockOfItsOwn) {
  SizeClassPool pool;
  std::vector<std::pair<unsigned char*, std::size_t>> blocks;
  for (std::size_t bytes = 1; bytes <= SizeClassPool::kMaxPooledBytes + 64; ++bytes) {
    auto* block = static_cast<unsigned char*>(pool.Allocate(bytes));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(block) % 8, 0u) << bytes;
    std::memset(block, static_cast<int>(bytes % 251), bytes);
    blocks.emplace_back(block, bytes);
  }
  for (const auto& [block, bytes] : blocks) {
    for (std::size_t b = 0; b < bytes; ++b) ASSERT_EQ(block[b], bytes % 251) << bytes;
  }
  EXPECT_EQ(pool.reserved_bytes(SizeClassPool::kMaxPooledBytes + 1), 0u);  // operator new's
  for (const auto& [block, bytes] : blocks) pool.Deallocate(block, bytes);
}

TEST(SizeClassPoolTest, AFreedBlockServesTheNextOfItsClass) {
  SizeClassPool pool;
  void* first = pool.Allocate(30);
  pool.Deallocate(first, 30);
  EXPECT_EQ(pool.Allocate(27), first);  // 27 and 30 are both 32-byte blocks
  pool.Deallocate(first, 27);
}

}  // namespace
}  // namespace wecom_notify
