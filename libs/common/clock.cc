#include "libs/common/clock.h"

#include <cassert>

#include "absl/time/clock.h"

namespace wecom_notify {
namespace {

class RealClock : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  void SleepFor(absl::Duration duration) override {
    if (duration > absl::ZeroDuration()) absl::SleepFor(duration);
  }
};

}  // namespace

Clock& Clock::Real() {
  static RealClock* const clock = new RealClock();
  return *clock;
}

SimulatedClock::SimulatedClock(absl::Time start) : now_(start) {}

absl::Time SimulatedClock::Now() const {
  absl::MutexLock lock(&mu_);
  return now_;
}

void SimulatedClock::SleepFor(absl::Duration duration) {
  if (duration > absl::ZeroDuration()) Advance(duration);
}

void SimulatedClock::Advance(absl::Duration duration) {
  assert(duration >= absl::ZeroDuration());
  absl::MutexLock lock(&mu_);
  now_ += duration;
}

void SimulatedClock::Set(absl::Time time) {
  absl::MutexLock lock(&mu_);
  assert(time >= now_);
  now_ = time;
}

}  // namespace wecom_notify
