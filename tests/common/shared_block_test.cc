#include "libs/common/shared_block.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

namespace wecom_notify {
namespace {

// A block that counts its frees, so a test sees exactly when the last owner let go.
struct CountedBlock {
  static void Free(const CountedBlock* block) {
    block->frees->fetch_add(1);
    delete block;
  }

  explicit CountedBlock(std::atomic<int>* frees_counter) : frees(frees_counter) {}

  mutable std::atomic<uint32_t> refs{1};
  std::atomic<int>* frees;
};

using Handle = SharedBlock<CountedBlock>;

TEST(SharedBlockTest, TheLastCopyFreesTheBlockOnce) {
  std::atomic<int> frees{0};
  auto first = std::make_unique<Handle>(new CountedBlock(&frees));
  Handle copy = *first;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_EQ(copy.get(), first->get());
  first.reset();
  EXPECT_EQ(frees.load(), 0);
  EXPECT_EQ(copy.get()->refs.load(), 1u);
  copy = Handle();
  EXPECT_EQ(frees.load(), 1);
}

TEST(SharedBlockTest, AssignmentDropsTheOldBlockAndSelfAssignmentKeepsIt) {
  std::atomic<int> frees_a{0};
  std::atomic<int> frees_b{0};
  Handle a(new CountedBlock(&frees_a));
  Handle b(new CountedBlock(&frees_b));
  Handle& also_a = a;
  a = also_a;
  a = std::move(also_a);
  EXPECT_EQ(frees_a.load(), 0);
  EXPECT_EQ(a.get()->refs.load(), 1u);
  a = b;
  EXPECT_EQ(frees_a.load(), 1);
  EXPECT_EQ(b.get()->refs.load(), 2u);
  Handle moved = std::move(b);
  EXPECT_EQ(b.get(), nullptr);  // NOLINT(bugprone-use-after-move): the documented moved-from state
  EXPECT_EQ(moved.get()->refs.load(), 2u);
  EXPECT_EQ(frees_b.load(), 0);
}

TEST(SharedBlockTest, ANullHandleCopiesAndDropsNothing) {
  Handle none;
  Handle copy = none;  // NOLINT(performance-unnecessary-copy-initialization)
  copy = none;
  EXPECT_EQ(copy.get(), nullptr);
}

// The count is exact under concurrent copies: the threads' copies keep the block after the
// maker's handle is gone, and the last one frees it once (ASan also reports a use after free
// or a leak if the count is off).
TEST(SharedBlockTest, CopiesMayBeMadeAndDroppedOnAnyThread) {
  std::atomic<int> frees{0};
  Handle block(new CountedBlock(&frees));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([mine = block] {
      for (int i = 0; i < 10'000; ++i) {
        const Handle again = mine;
        EXPECT_NE(again.get(), nullptr);
      }
    });
  }
  block = Handle();
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(frees.load(), 1);
}

}  // namespace
}  // namespace wecom_notify
