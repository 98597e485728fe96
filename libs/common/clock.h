// File: libs/common/clock.h
//
// Clock is the one source of wall-clock time for every library of wecom-notify. Code that needs
// "now" takes a Clock& instead of calling absl::Now(), so grouping, group_wait, repeat_interval,
// token expiry and rate limits are tested in simulated time, to the millisecond, without sleeping.
//
// One wall clock (absl::Time) serves both timers and persisted timestamps: repeat_interval must
// survive a restart, so the time we wait on and the time we store are the same time.
//
// Thread-safety: every Clock is safe for concurrent use.

#ifndef WECOM_NOTIFY_LIBS_COMMON_CLOCK_H_
#define WECOM_NOTIFY_LIBS_COMMON_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace wecom_notify {

class Clock {
 public:
  virtual ~Clock() = default;

  // Now()
  //
  // The current wall-clock time.
  virtual absl::Time Now() const = 0;

  // SleepFor()
  //
  // Blocks the caller for `duration` of this clock's time. Returns at once for a non-positive
  // duration. Used by senders that must wait (WeCom's 45009 asks for 60 s).
  virtual void SleepFor(absl::Duration duration) = 0;

  // Real()
  //
  // The process-wide clock backed by absl::Now() and absl::SleepFor(). Never destroyed.
  static Clock& Real();
};

// SimulatedClock does not tick on its own: time moves only through Advance(), Set() and
// SleepFor(), which advances the clock by the requested duration and returns at once (a sleeping
// caller is the only actor in a simulated-time test, so its sleep is the passage of time).
class SimulatedClock : public Clock {
 public:
  explicit SimulatedClock(absl::Time start = absl::FromUnixSeconds(1'700'000'000));

  absl::Time Now() const override;
  void SleepFor(absl::Duration duration) override;

  // Advance()
  //
  // Moves time forward by `duration`. REQUIRES: duration >= 0 (time never goes backwards).
  void Advance(absl::Duration duration);

  // Set()
  //
  // Jumps to `time`. REQUIRES: time >= Now().
  void Set(absl::Time time);

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace wecom_notify

#endif  // WECOM_NOTIFY_LIBS_COMMON_CLOCK_H_
