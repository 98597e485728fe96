// File: libs/common/block_pool.h
//
// BlockPool hands out blocks of one size, carved from slabs, and takes them back onto a free
// list, from any thread.
//
// Why. notifyd holds one object of a fixed size per alert (store::SharedAlert's version), and
// malloc adds an 8-byte header to each chunk and rounds it up to a multiple of 16: a 64-byte
// object takes an 80-byte chunk, 16 bytes for nothing on every alert held
// (docs/performance.md). A pool's blocks are exactly the object's size, end to end.
//
// Cost: one uncontended mutex per Allocate and Deallocate (the owners of these objects are an
// ingest thread and the dispatcher, so it is rarely contended). A freed block is reused by the
// next allocation; slabs go back to the system only when the pool is destroyed, so a pool
// keeps the memory of the most blocks it ever had out at once (malloc's heap, fragmented by
// the same objects, seldom shrank either).
//
// Under AddressSanitizer a free block is poisoned, so a use after free is still reported.
//
// Thread-safety: Allocate and Deallocate may be called concurrently from any thread.

#ifndef WECOM_NOTIFY_LIBS_COMMON_BLOCK_POOL_H_
#define WECOM_NOTIFY_LIBS_COMMON_BLOCK_POOL_H_

#include <cstddef>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace wecom_notify {

class BlockPool {
 public:
  // Blocks of `block_size` bytes (rounded up to a multiple of 8, and at least 8), aligned to 8.
  explicit BlockPool(std::size_t block_size);
  // Blocks still out are freed with their slabs.
  ~BlockPool();

  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;

  void* Allocate();
  // REQUIRES: `block` came from this pool's Allocate and was not deallocated since.
  void Deallocate(void* block);

  std::size_t block_size() const { return block_size_; }
  // Bytes taken from the system (slabs), whether their blocks are in use or free.
  std::size_t reserved_bytes() const;

  static constexpr std::size_t kSlabBytes = 32 * 1024;

 private:
  struct FreeBlock {
    FreeBlock* next;
  };

  const std::size_t block_size_;
  mutable absl::Mutex mu_;
  FreeBlock* free_ ABSL_GUARDED_BY(mu_) = nullptr;  // blocks deallocated, most recent first
  char* unused_ ABSL_GUARDED_BY(mu_) = nullptr;     // the never-used tail of the newest slab
  char* unused_end_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::vector<std::unique_ptr<char[]>> slabs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace wecom_notify

#endif  // WECOM_NOTIFY_LIBS_COMMON_BLOCK_POOL_H_
