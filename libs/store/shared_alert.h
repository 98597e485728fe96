// File: libs/store/shared_alert.h
//
// SharedAlert is one version of a held alert — a PackedAlert that never changes once made —
// shared by everyone who holds it: the AlertStore and each dispatcher group the alert was
// routed to. A copy bumps a count; the version is freed with its last copy. Before, the store
// and every group held their own 64-byte copy of each alert (docs/performance.md): with one
// big group, the dispatcher held as many alerts as the store.
//
// Sharing is safe because a version never changes: a re-posted alert becomes a new version in
// the store, while a group keeps the version it was given — the one that is durable — until
// it is handed the new one (notifyd dispatches only what is durable).
//
// A version is 56 bytes, from a BlockPool (libs/common/block_pool.h; malloc would take a
// 64-byte chunk): the count lives in PackedAlert's tail padding. It carries its fingerprint,
// so that a holder's table of versions (SharedAlertSet) has 8-byte slots, not 16.
//
// Copies may be made and dropped from any thread (a SharedBlock, libs/common/shared_block.h).

#ifndef WECOM_NOTIFY_LIBS_STORE_SHARED_ALERT_H_
#define WECOM_NOTIFY_LIBS_STORE_SHARED_ALERT_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "libs/alert/alert.h"
#include "libs/common/shared_block.h"
#include "libs/store/packed_alert.h"

namespace wecom_notify {
class BlockPool;
}  // namespace wecom_notify

namespace wecom_notify::store {

class SharedAlert {
 public:
  // Null: holds no version.
  SharedAlert() = default;
  // A new version with `alert`'s content but its annotations (labels and URL shared, not
  // copied).
  explicit SharedAlert(const alert::Alert& alert);

  // REQUIRES: not null.
  const PackedAlert& operator*() const { return *version_.get(); }
  const PackedAlert* operator->() const { return version_.get(); }
  explicit operator bool() const { return version_.get() != nullptr; }

  // Whether both hold the same version (not merely equal content).
  friend bool operator==(const SharedAlert& a, const SharedAlert& b) {
    return a.version_.get() == b.version_.get();
  }
  friend bool operator!=(const SharedAlert& a, const SharedAlert& b) { return !(a == b); }

 private:
  // The count sits in PackedAlert's tail padding (the ABI lets a derived class use a non-POD
  // base's), so a version costs what a PackedAlert does.
  struct Version final : PackedAlert {
    explicit Version(const alert::Alert& alert) : PackedAlert(alert) {}
    static void Free(const Version* version) { delete version; }
    // From Pool(): every version has this one size.
    static void* operator new(std::size_t size);
    static void operator delete(void* block);
    static BlockPool& Pool();

    mutable std::atomic<uint32_t> refs{1};
  };
  // What every held alert costs once (docs/performance.md counts it): growing it is a
  // decision, not an accident.
  static_assert(sizeof(Version) == 56, "a version grew beyond 56 bytes");

  SharedBlock<Version> version_;
};

// SharedAlertSet holds versions of distinct fingerprints, found by fingerprint. A slot is the
// version's pointer: 8 bytes where a map from fingerprint to version took 16 (with the tables'
// free slots ~13 bytes less per alert held, in the store and again in the dispatcher's groups).
// A lookup reads the fingerprint from the version only when the table's 7-bit hash tag
// matches, so mostly for the version sought.
//
// Null versions are never held. Thread-safety: none; the holder serializes calls.
class SharedAlertSet {
 private:
  struct ByFingerprint {
    using is_transparent = void;
    std::size_t operator()(uint64_t fingerprint) const {
      return absl::Hash<uint64_t>()(fingerprint);
    }
    std::size_t operator()(const SharedAlert& version) const {
      return (*this)(version->fingerprint);
    }
    bool operator()(const SharedAlert& a, const SharedAlert& b) const {
      return a->fingerprint == b->fingerprint;
    }
    bool operator()(const SharedAlert& a, uint64_t fingerprint) const {
      return a->fingerprint == fingerprint;
    }
    bool operator()(uint64_t fingerprint, const SharedAlert& a) const {
      return a->fingerprint == fingerprint;
    }
  };
  using Table = absl::flat_hash_set<SharedAlert, ByFingerprint, ByFingerprint>;

 public:
  using const_iterator = Table::const_iterator;

  // The version of `fingerprint`, or nullptr. Valid until the set next changes.
  const SharedAlert* Find(uint64_t fingerprint) const {
    const auto it = table_.find(fingerprint);
    return it == table_.end() ? nullptr : &*it;
  }

  // Holds `version` in place of the version of its fingerprint, if any. REQUIRES: not null.
  void Put(const SharedAlert& version) {
    Update(version->fingerprint, [&](const SharedAlert&) { return version; });
  }

  // Update()
  //
  // Holds `make(held)` for `fingerprint`, where `held` is the version held so far (null when
  // there is none), and returns it: one lookup for the read and the write.
  // REQUIRES: `make` returns a version of `fingerprint` and does not use this set.
  template <typename Make>
  const SharedAlert& Update(uint64_t fingerprint, Make make) {
    bool made = false;
    const auto it = table_.lazy_emplace(fingerprint, [&](const auto& construct) {
      made = true;
      construct(make(SharedAlert()));
    });
    if (!made) {
      // The replacement has the same fingerprint, so its slot (hashed by fingerprint) stays
      // right; the set's elements are not const objects, only its iterators are.
      SharedAlert& held = const_cast<SharedAlert&>(*it);
      held = make(held);
    }
    return *it;
  }

  // Forgets the version of `fingerprint`; nothing when there is none.
  void Erase(uint64_t fingerprint) { table_.erase(fingerprint); }
  // Forgets every version for which `pred(version)` holds.
  template <typename Pred>
  void EraseIf(Pred pred) {
    absl::erase_if(table_, pred);
  }

  // Brings the slot of `fingerprint` into the cache ahead of a Put or Update.
  void Prefetch(uint64_t fingerprint) const { table_.prefetch(fingerprint); }

  const_iterator begin() const { return table_.begin(); }
  const_iterator end() const { return table_.end(); }
  std::size_t size() const { return table_.size(); }
  bool empty() const { return table_.empty(); }

 private:
  Table table_;
};

}  // namespace wecom_notify::store

#endif  // WECOM_NOTIFY_LIBS_STORE_SHARED_ALERT_H_
