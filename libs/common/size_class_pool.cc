#include "libs/common/size_class_pool.h"

#include <new>

namespace wecom_notify {

SizeClassPool::SizeClassPool() {
  for (std::size_t i = 0; i < pools_.size(); ++i) {
    pools_[i] = std::make_unique<BlockPool>(8 * (i + 1));
  }
}

SizeClassPool::~SizeClassPool() = default;

BlockPool* SizeClassPool::PoolFor(std::size_t bytes) const {
  if (bytes > kMaxPooledBytes) return nullptr;
  return pools_[(bytes + 7) / 8 - 1].get();
}

void* SizeClassPool::Allocate(std::size_t bytes) {
  BlockPool* pool = PoolFor(bytes);
  return pool != nullptr ? pool->Allocate() : ::operator new(bytes);
}

void SizeClassPool::Deallocate(void* block, std::size_t bytes) {
  BlockPool* pool = PoolFor(bytes);
  if (pool != nullptr) return pool->Deallocate(block);
  ::operator delete(block);
}

std::size_t SizeClassPool::reserved_bytes(std::size_t bytes) const {
  const BlockPool* pool = PoolFor(bytes);
  return pool != nullptr ? pool->reserved_bytes() : 0;
}

}  // namespace wecom_notify
