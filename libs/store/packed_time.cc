#include "libs/store/packed_time.h"

#include <limits>

namespace wecom_notify::store {
namespace {

constexpr uint32_t kInfinite = std::numeric_limits<uint32_t>::max();

absl::Duration Tick() { return absl::Nanoseconds(1) / 4; }

}  // namespace

PackedTime::PackedTime(absl::Time time) {
  int64_t seconds;
  if (time == absl::InfinitePast() || time == absl::InfiniteFuture()) {
    seconds = time == absl::InfinitePast() ? -1 : 0;
    ticks_ = kInfinite;
  } else {
    absl::Duration rest;
    seconds = absl::IDivDuration(time - absl::UnixEpoch(), absl::Seconds(1), &rest);
    // IDivDuration truncates toward zero; keep the remainder in [0, 1 s).
    if (rest < absl::ZeroDuration()) {
      --seconds;
      rest += absl::Seconds(1);
    }
    ticks_ = static_cast<uint32_t>(absl::IDivDuration(rest, Tick(), &rest));
  }
  const uint64_t bits = static_cast<uint64_t>(seconds);
  seconds_low_ = static_cast<uint32_t>(bits);
  seconds_high_ = static_cast<uint32_t>(bits >> 32);
}

absl::Time PackedTime::ToTime() const {
  const int64_t seconds =
      static_cast<int64_t>((static_cast<uint64_t>(seconds_high_) << 32) | seconds_low_);
  if (ticks_ == kInfinite) return seconds < 0 ? absl::InfinitePast() : absl::InfiniteFuture();
  return absl::FromUnixSeconds(seconds) + Tick() * static_cast<int64_t>(ticks_);
}

}  // namespace wecom_notify::store
