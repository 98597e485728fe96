#include "libs/common/block_pool.h"

#include <sanitizer/asan_interface.h>

#include <algorithm>

namespace wecom_notify {

BlockPool::BlockPool(std::size_t block_size)
    : block_size_(std::max<std::size_t>(8, (block_size + 7) / 8 * 8)) {}

BlockPool::~BlockPool() {
  absl::MutexLock lock(&mu_);
  // Slabs are freed whole; unpoison them first so that the sanitizer's allocator takes them back.
  for (auto& slab : slabs_) ASAN_UNPOISON_MEMORY_REGION(slab.get(), kSlabBytes);
}

void* BlockPool::Allocate() {
  void* block;
  {
    absl::MutexLock lock(&mu_);
    if (free_ != nullptr) {
      block = free_;
      ASAN_UNPOISON_MEMORY_REGION(block, block_size_);
      free_ = free_->next;
      return block;
    }
    if (unused_end_ - unused_ < static_cast<std::ptrdiff_t>(block_size_)) {
      slabs_.emplace_back(new char[kSlabBytes]);  // uninitialized
      unused_ = slabs_.back().get();
      unused_end_ = unused_ + kSlabBytes;
      ASAN_POISON_MEMORY_REGION(unused_, kSlabBytes);  // blocks are unpoisoned as handed out
    }
    block = unused_;
    unused_ += block_size_;
  }
  ASAN_UNPOISON_MEMORY_REGION(block, block_size_);
  return block;
}

void BlockPool::Deallocate(void* block) {
  auto* free_block = static_cast<FreeBlock*>(block);
  absl::MutexLock lock(&mu_);
  free_block->next = free_;
  free_ = free_block;
  ASAN_POISON_MEMORY_REGION(block, block_size_);
}

std::size_t BlockPool::reserved_bytes() const {
  absl::MutexLock lock(&mu_);
  return slabs_.size() * kSlabBytes;
}

}  // namespace wecom_notify
