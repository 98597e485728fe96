// File: libs/store/packed_time.h
//
// PackedTime holds an absl::Time in 12 bytes with 4-byte alignment, where absl::Time takes 16
// (an int64 and a uint32, padded). The store keeps three times per alert, so packing them
// saves a size class of the allocation every held alert costs (see alert_store.h).
//
// Exact: whole Unix seconds and quarter-nanosecond ticks are absl::Time's own resolution, and
// both infinities round-trip.

#ifndef WECOM_NOTIFY_LIBS_STORE_PACKED_TIME_H_
#define WECOM_NOTIFY_LIBS_STORE_PACKED_TIME_H_

#include <cstdint>

#include "absl/time/time.h"

namespace wecom_notify::store {

class PackedTime {
 public:
  explicit PackedTime(absl::Time time = absl::InfinitePast());

  absl::Time ToTime() const;

 private:
  // Unix seconds (floor), split so that the struct needs only 4-byte alignment.
  uint32_t seconds_low_;
  uint32_t seconds_high_;
  // Quarter nanoseconds past the second; kInfinite marks InfinitePast (negative seconds) or
  // InfiniteFuture.
  uint32_t ticks_;
};

}  // namespace wecom_notify::store

#endif  // WECOM_NOTIFY_LIBS_STORE_PACKED_TIME_H_
