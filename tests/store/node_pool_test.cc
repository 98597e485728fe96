#include "libs/store/node_pool.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <set>
#include <vector>

#include "absl/container/node_hash_map.h"

namespace wecom_notify::store {
namespace {

TEST(NodePoolTest, BlockSizeIsRoundedToEightBytes) {
  EXPECT_EQ(NodePool(1).block_size(), 8u);
  EXPECT_EQ(NodePool(13).block_size(), 16u);
  EXPECT_EQ(NodePool(64).block_size(), 64u);
}

TEST(NodePoolTest, BlocksAreAlignedAndDoNotOverlap) {
  NodePool pool(24);
  const std::size_t count = 3 * (NodePool::kSlabBytes / 24);  // three slabs full
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
  EXPECT_EQ(pool.reserved_bytes(), 3 * NodePool::kSlabBytes);
  for (unsigned char* block : blocks) pool.Deallocate(block);
}

TEST(NodePoolTest, FreedBlocksAreReusedBeforeNewSlabs) {
  NodePool pool(64);
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

struct Node {
  uint64_t key;
  char payload[56];
};

TEST(NodeAllocatorTest, OnlySingleNodesComeFromThePool) {
  NodePool pool(sizeof(Node));
  NodeAllocator<Node> nodes(&pool);
  Node* array = nodes.allocate(4);  // an array: std::allocator
  EXPECT_EQ(pool.reserved_bytes(), 0u);
  NodeAllocator<Node, uint64_t> slots(nodes);  // a rebound copy: std::allocator, same pool
  uint64_t* slot = slots.allocate(1);
  EXPECT_EQ(pool.reserved_bytes(), 0u);
  EXPECT_TRUE(slots == nodes);
  Node* node = nodes.allocate(1);
  EXPECT_EQ(pool.reserved_bytes(), NodePool::kSlabBytes);
  nodes.deallocate(node, 1);
  slots.deallocate(slot, 1);
  nodes.deallocate(array, 4);

  NodePool other(sizeof(Node));
  EXPECT_TRUE(NodeAllocator<Node>(&other) != nodes);
}

TEST(NodeAllocatorTest, AHashMapKeepsItsNodesInThePool) {
  using Map = absl::node_hash_map<uint64_t, uint64_t, absl::Hash<uint64_t>, std::equal_to<uint64_t>,
                                  NodeAllocator<std::pair<const uint64_t, uint64_t>>>;
  NodePool pool(sizeof(std::pair<const uint64_t, uint64_t>));
  {
    Map map(0, absl::Hash<uint64_t>(), std::equal_to<uint64_t>(),
            NodeAllocator<std::pair<const uint64_t, uint64_t>>(&pool));
    for (uint64_t i = 0; i < 20'000; ++i) map[i] = i * 3;
    const std::size_t reserved = pool.reserved_bytes();
    EXPECT_EQ(reserved, (20'000 * 16 + NodePool::kSlabBytes - 1) / NodePool::kSlabBytes *
                            NodePool::kSlabBytes);
    for (uint64_t i = 0; i < 20'000; i += 2) map.erase(i);
    for (uint64_t i = 20'000; i < 30'000; ++i) map[i] = i * 3;  // takes the freed nodes
    EXPECT_EQ(pool.reserved_bytes(), reserved);
    for (uint64_t i = 1; i < 20'000; i += 2) ASSERT_EQ(map.at(i), i * 3);
    for (uint64_t i = 20'000; i < 30'000; ++i) ASSERT_EQ(map.at(i), i * 3);
  }  // the map returns its nodes before the pool goes
}

#if defined(__SANITIZE_ADDRESS__)
TEST(NodePoolDeathTest, UseAfterFreeIsReportedUnderAddressSanitizer) {
  NodePool pool(32);
  auto* block = static_cast<volatile char*>(pool.Allocate());
  pool.Deallocate(const_cast<char*>(block));
  EXPECT_DEATH(block[8] = 1, "use-after-poison");
}
#endif

}  // namespace
}  // namespace wecom_notify::store
