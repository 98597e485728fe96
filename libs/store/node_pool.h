// File: libs/store/node_pool.h
//
// NodePool hands out blocks of one size, carved from slabs, and takes them back onto a free
// list; NodeAllocator is the allocator that makes a node-based container (absl::node_hash_map)
// take its nodes from one.
//
// Why. The store allocates one node per held alert, and malloc adds an 8-byte header to each
// chunk and rounds it up to a multiple of 16: the 64-byte node took an 80-byte chunk, 16 bytes
// for nothing on every alert held (docs/performance.md). A pool's blocks are exactly the
// node's size, end to end.
//
// Cost: a freed block is reused by the next allocation; slabs go back to the system only when
// the pool is destroyed, so a pool keeps the memory of the most nodes it ever held at once
// (malloc's heap, fragmented by the same nodes, seldom shrank either).
//
// Under AddressSanitizer a free block is poisoned, so a use after free is still reported.
//
// Thread-safety: none; the owner serializes calls (AlertStore: each shard's mutex).

#ifndef WECOM_NOTIFY_LIBS_STORE_NODE_POOL_H_
#define WECOM_NOTIFY_LIBS_STORE_NODE_POOL_H_

#include <cstddef>
#include <memory>
#include <type_traits>
#include <vector>

namespace wecom_notify::store {

class NodePool {
 public:
  // Blocks of `block_size` bytes (rounded up to a multiple of 8, and at least 8), aligned to 8.
  explicit NodePool(std::size_t block_size);
  // REQUIRES: every block was deallocated (blocks still out are freed with their slabs).
  ~NodePool();

  NodePool(const NodePool&) = delete;
  NodePool& operator=(const NodePool&) = delete;

  void* Allocate();
  // REQUIRES: `block` came from this pool's Allocate and was not deallocated since.
  void Deallocate(void* block);

  std::size_t block_size() const { return block_size_; }
  // Bytes taken from the system (slabs), whether their blocks are in use or free.
  std::size_t reserved_bytes() const { return slabs_.size() * kSlabBytes; }

  static constexpr std::size_t kSlabBytes = 32 * 1024;

 private:
  struct FreeBlock {
    FreeBlock* next;
  };

  const std::size_t block_size_;
  FreeBlock* free_ = nullptr;  // blocks deallocated, most recent first
  char* unused_ = nullptr;     // the never-used tail of the newest slab
  char* unused_end_ = nullptr;
  std::vector<std::unique_ptr<char[]>> slabs_;
};

// NodeAllocator<Node> allocates single objects of type Node from a NodePool of
// sizeof(Node)-byte blocks, and everything else (rebound types, arrays: a hash table's slot
// array) with std::allocator. Copies and rebinds share the pool; allocators are equal when their
// pools are.
template <typename Node, typename T = Node>
class NodeAllocator {
 public:
  using value_type = T;
  template <typename U>
  struct rebind {
    using other = NodeAllocator<Node, U>;
  };

  // REQUIRES: pool->block_size() == sizeof(Node), and the pool outlives the allocator's users.
  explicit NodeAllocator(NodePool* pool) : pool_(pool) {}
  template <typename U>
  NodeAllocator(const NodeAllocator<Node, U>& other) : pool_(other.pool()) {}  // NOLINT

  T* allocate(std::size_t n) {
    if constexpr (std::is_same_v<T, Node>) {
      if (n == 1) return static_cast<T*>(pool_->Allocate());
    }
    return std::allocator<T>().allocate(n);
  }
  void deallocate(T* p, std::size_t n) {
    if constexpr (std::is_same_v<T, Node>) {
      if (n == 1) return pool_->Deallocate(p);
    }
    std::allocator<T>().deallocate(p, n);
  }

  NodePool* pool() const { return pool_; }

  template <typename U>
  friend bool operator==(const NodeAllocator& a, const NodeAllocator<Node, U>& b) {
    return a.pool() == b.pool();
  }
  template <typename U>
  friend bool operator!=(const NodeAllocator& a, const NodeAllocator<Node, U>& b) {
    return a.pool() != b.pool();
  }

 private:
  static_assert(alignof(Node) <= 8, "NodePool blocks are aligned to 8");

  NodePool* pool_;
};

}  // namespace wecom_notify::store

#endif  // WECOM_NOTIFY_LIBS_STORE_NODE_POOL_H_
