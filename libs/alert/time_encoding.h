// File: libs/alert/time_encoding.h
//
// The one int64 form in which notifyd keeps a time, in memory (store::PackedTime) and on disk
// (storage's codec): Unix nanoseconds. absl::InfinitePast() (which also stands for an unset
// time, alert.h) is INT64_MIN and absl::InfiniteFuture() is INT64_MAX; finite times outside
// the range int64 nanoseconds can hold (years 1678..2262) are clamped to its ends, never
// becoming infinite, and sub-nanosecond parts are truncated toward negative infinity. Inputs
// carry at most nanoseconds (RFC 3339, protobuf Timestamp), so only far years lose anything —
// and memory and disk lose the same, so an alert reads the same before and after a restart.
//
// Thread-safety: free functions with no shared state.

#ifndef WECOM_NOTIFY_LIBS_ALERT_TIME_ENCODING_H_
#define WECOM_NOTIFY_LIBS_ALERT_TIME_ENCODING_H_

#include <cstdint>

#include "absl/time/time.h"

namespace wecom_notify::alert {

// The int64 encoding of `time` described above, and its inverse (exact for every time in
// range with whole nanoseconds, and for both infinities).
int64_t EncodeTime(absl::Time time);
absl::Time DecodeTime(int64_t nanos);

}  // namespace wecom_notify::alert

#endif  // WECOM_NOTIFY_LIBS_ALERT_TIME_ENCODING_H_
