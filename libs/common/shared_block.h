// File: libs/common/shared_block.h
//
// SharedBlock<Block> owns a share of an immutable, reference-counted block. It is the handle
// under every shared value the hot path copies — alert::LabelSet, alert::SharedText,
// store::SharedAlert — so that a copy bumps a count instead of allocating, and the last owner
// to let go frees the block.
//
// The count lives in the block, not beside it: a handle is one pointer, and the block's layout
// (a header followed by characters, a packed alert) stays its owner's choice. Block provides
//
//   mutable std::atomic<uint32_t> refs;   // 1 when made
//   static void Free(const Block* block); // called by the last owner
//
// Handles may be copied and dropped from any thread; the block must not change once shared.

#ifndef WECOM_NOTIFY_LIBS_COMMON_SHARED_BLOCK_H_
#define WECOM_NOTIFY_LIBS_COMMON_SHARED_BLOCK_H_

#include <atomic>
#include <utility>

namespace wecom_notify {

template <typename Block>
class SharedBlock {
 public:
  // Holds no block.
  SharedBlock() = default;
  // Takes over the count of 1 that `block` was made with; null holds none.
  explicit SharedBlock(const Block* block) noexcept : block_(block) {}

  SharedBlock(const SharedBlock& other) noexcept : block_(other.block_) { Ref(block_); }
  SharedBlock(SharedBlock&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
  SharedBlock& operator=(const SharedBlock& other) noexcept {
    Ref(other.block_);  // first: `other` may be this handle
    Unref(std::exchange(block_, other.block_));
    return *this;
  }
  SharedBlock& operator=(SharedBlock&& other) noexcept {
    if (this != &other) Unref(std::exchange(block_, std::exchange(other.block_, nullptr)));
    return *this;
  }
  ~SharedBlock() { Unref(block_); }

  const Block* get() const { return block_; }

 private:
  // Taking a share needs no ordering: the block was published to this thread with the handle
  // it is copied from. Dropping one must order this owner's reads before the last owner's Free.
  static void Ref(const Block* block) {
    if (block != nullptr) block->refs.fetch_add(1, std::memory_order_relaxed);
  }
  static void Unref(const Block* block) {
    if (block != nullptr && block->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      Block::Free(block);
    }
  }

  const Block* block_ = nullptr;
};

}  // namespace wecom_notify

#endif  // WECOM_NOTIFY_LIBS_COMMON_SHARED_BLOCK_H_
