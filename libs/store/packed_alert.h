// File: libs/store/packed_alert.h
//
// PackedAlert is an alert as notifyd holds it in memory, wherever it holds many: in the
// AlertStore and in the dispatcher's aggregation groups. It is alert::Alert without the
// fingerprint (the holding map's key) and with 8-byte times (packed_time.h): 56 bytes instead
// of 88, so that a map node — key and value, PackedAlertNode — is 64 bytes, taken from a
// NodePool without malloc's header (node_pool.h) instead of a 112-byte node in a 128-byte
// chunk. Converting either way copies no characters: label sets and the URL are shared.
//
// Exact for normalized alerts (alert::Normalize puts their times in the form PackedTime keeps).

#ifndef WECOM_NOTIFY_LIBS_STORE_PACKED_ALERT_H_
#define WECOM_NOTIFY_LIBS_STORE_PACKED_ALERT_H_

#include <cstdint>
#include <functional>
#include <utility>

#include "absl/container/node_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/time/time.h"
#include "libs/alert/alert.h"
#include "libs/store/node_pool.h"
#include "libs/store/packed_time.h"

namespace wecom_notify::store {

struct PackedAlert {
  explicit PackedAlert(const alert::Alert& alert);
  alert::Alert ToAlert(uint64_t fingerprint) const;
  // As alert::Alert::ResolvedAt.
  bool ResolvedAt(absl::Time now) const;

  alert::LabelSet labels;
  alert::LabelSet annotations;
  alert::SharedText generator_url;
  PackedTime starts_at;
  PackedTime ends_at;
  PackedTime updated_at;
  bool ends_at_from_timeout;
};

using PackedAlertNode = std::pair<const uint64_t, PackedAlert>;
// What every held alert costs, once per holder (docs/performance.md counts it): growing it is a
// decision, not an accident.
static_assert(sizeof(PackedAlertNode) == 64, "a held alert's node grew");

// Fingerprint → alert, nodes from a NodePool (make one with MakePackedAlertMap). Nodes rather
// than inline slots: growing the table moves pointers instead of alerts, and an empty slot
// costs 8 bytes.
using PackedAlertMap = absl::node_hash_map<uint64_t, PackedAlert, absl::Hash<uint64_t>,
                                           std::equal_to<uint64_t>, NodeAllocator<PackedAlertNode>>;

// An empty map taking its nodes from `pool`, which must outlive it (and whose block size is
// sizeof(PackedAlertNode)).
inline PackedAlertMap MakePackedAlertMap(NodePool* pool) {
  return PackedAlertMap(0, absl::Hash<uint64_t>(), std::equal_to<uint64_t>(),
                        NodeAllocator<PackedAlertNode>(pool));
}

}  // namespace wecom_notify::store

#endif  // WECOM_NOTIFY_LIBS_STORE_PACKED_ALERT_H_
