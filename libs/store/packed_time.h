// File: libs/store/packed_time.h
//
// PackedTime holds an absl::Time in 8 bytes, where absl::Time takes 16 (an int64 and a uint32,
// padded): the int64 form the durable store keeps too (alert::EncodeTime — Unix nanoseconds,
// far years clamped, both infinities exact). The store keeps three times per alert, so packing
// them keeps a held alert's node within 64 bytes (see alert_store.h); and since memory and disk
// hold the same form, an alert reads the same before and after a restart.

#ifndef WECOM_NOTIFY_LIBS_STORE_PACKED_TIME_H_
#define WECOM_NOTIFY_LIBS_STORE_PACKED_TIME_H_

#include <cstdint>

#include "absl/time/time.h"
#include "libs/alert/time_encoding.h"

namespace wecom_notify::store {

class PackedTime {
 public:
  explicit PackedTime(absl::Time time = absl::InfinitePast()) : nanos_(alert::EncodeTime(time)) {}

  absl::Time ToTime() const { return alert::DecodeTime(nanos_); }

 private:
  int64_t nanos_;
};

}  // namespace wecom_notify::store

#endif  // WECOM_NOTIFY_LIBS_STORE_PACKED_TIME_H_
