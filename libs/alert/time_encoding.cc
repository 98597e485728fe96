#include "libs/alert/time_encoding.h"

#include <limits>

namespace wecom_notify::alert {

int64_t EncodeTime(absl::Time time) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (time == absl::InfinitePast()) return kMin;
  if (time == absl::InfiniteFuture()) return kMax;
  // Finite times are kept off the two sentinels.
  const absl::Time lowest = absl::FromUnixNanos(kMin + 1);
  const absl::Time highest = absl::FromUnixNanos(kMax - 1);
  if (time <= lowest) return kMin + 1;
  if (time >= highest) return kMax - 1;
  return absl::ToUnixNanos(time);
}

absl::Time DecodeTime(int64_t nanos) {
  if (nanos == std::numeric_limits<int64_t>::min()) return absl::InfinitePast();
  if (nanos == std::numeric_limits<int64_t>::max()) return absl::InfiniteFuture();
  return absl::FromUnixNanos(nanos);
}

}  // namespace wecom_notify::alert
