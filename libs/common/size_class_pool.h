// File: libs/common/size_class_pool.h
//
// SizeClassPool hands out blocks of any size: up to kMaxPooledBytes from one BlockPool per
// multiple of 8 bytes, so a block takes its size rounded up to 8 and nothing more; larger ones
// from operator new.
//
// Why. notifyd holds a label block and an annotation block per alert (alert::LabelSet), of
// sizes that vary with their characters. malloc adds an 8-byte header to each and rounds the
// chunk up to a multiple of 16 — for the benchmark's alert a 54-byte label block takes 64
// bytes and a 33-byte annotation block 48 (docs/performance.md).
//
// Cost: as BlockPool — a mutex per Allocate and Deallocate, and memory that stays with its size
// class: a freed block is reused only by a block of the same class, and slabs go back to the
// system only when the pool is destroyed.
//
// Thread-safety: Allocate and Deallocate may be called concurrently from any thread.

#ifndef WECOM_NOTIFY_LIBS_COMMON_SIZE_CLASS_POOL_H_
#define WECOM_NOTIFY_LIBS_COMMON_SIZE_CLASS_POOL_H_

#include <array>
#include <cstddef>
#include <memory>

#include "libs/common/block_pool.h"

namespace wecom_notify {

class SizeClassPool {
 public:
  static constexpr std::size_t kMaxPooledBytes = 256;

  SizeClassPool();
  // Pooled blocks still out are freed with their slabs.
  ~SizeClassPool();

  SizeClassPool(const SizeClassPool&) = delete;
  SizeClassPool& operator=(const SizeClassPool&) = delete;

  // A block of at least `bytes` bytes, aligned to 8. REQUIRES: bytes > 0.
  void* Allocate(std::size_t bytes);
  // REQUIRES: `block` came from Allocate(`bytes`) of this pool and was not deallocated since.
  void Deallocate(void* block, std::size_t bytes);

  // Bytes of slabs taken for blocks of `bytes` bytes' class; 0 for sizes beyond the pools.
  std::size_t reserved_bytes(std::size_t bytes) const;

 private:
  // The pool for blocks of `bytes` bytes, or nullptr beyond kMaxPooledBytes.
  BlockPool* PoolFor(std::size_t bytes) const;

  std::array<std::unique_ptr<BlockPool>, kMaxPooledBytes / 8> pools_;  // [i]: 8 * (i + 1) bytes
};

}  // namespace wecom_notify

#endif  // WECOM_NOTIFY_LIBS_COMMON_SIZE_CLASS_POOL_H_
