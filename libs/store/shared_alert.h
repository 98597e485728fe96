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
// A version is 56 bytes (a 64-byte malloc chunk): the count lives in PackedAlert's tail
// padding. A holder's slot is 16 bytes (fingerprint and pointer) in a flat table.
//
// Copies may be made and dropped from any thread (a SharedBlock, libs/common/shared_block.h).

#ifndef WECOM_NOTIFY_LIBS_STORE_SHARED_ALERT_H_
#define WECOM_NOTIFY_LIBS_STORE_SHARED_ALERT_H_

#include <atomic>
#include <cstdint>

#include "absl/container/flat_hash_map.h"
#include "libs/alert/alert.h"
#include "libs/common/shared_block.h"
#include "libs/store/packed_alert.h"

namespace wecom_notify::store {

class SharedAlert {
 public:
  // Null: holds no version.
  SharedAlert() = default;
  // A new version with `alert`'s content (labels and URL shared, not copied).
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
  struct Version : PackedAlert {
    explicit Version(const alert::Alert& alert) : PackedAlert(alert) {}
    static void Free(const Version* version) { delete version; }

    mutable std::atomic<uint32_t> refs{1};
  };
  // What every held alert costs once (docs/performance.md counts it): growing it is a
  // decision, not an accident.
  static_assert(sizeof(Version) == 56, "a version grew beyond a 64-byte malloc chunk");

  SharedBlock<Version> version_;
};

// An alert as a holder keeps it: its fingerprint (the key PackedAlert leaves out) and version.
struct HeldAlert {
  uint64_t fingerprint = 0;
  SharedAlert alert;
};

// Fingerprint → version.
using SharedAlertMap = absl::flat_hash_map<uint64_t, SharedAlert>;

}  // namespace wecom_notify::store

#endif  // WECOM_NOTIFY_LIBS_STORE_SHARED_ALERT_H_
