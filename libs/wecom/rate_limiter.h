// File: libs/wecom/rate_limiter.h
//
// RateLimiter keeps sends under WeCom's frequency limits instead of hitting them. Above its
// per-member limits WeCom *drops app messages silently while answering errcode 0*, so the only
// safe sender is one that never exceeds them:
//
//   app message: per app and member, 30 / minute and 1000 / hour   (AppMessageLimits())
//   group robot: per robot key, 20 / minute                         (RobotLimits())
//
// Each key (one member of one app, one robot) has a log of send times. A send to several keys
// (one message to 300 users) must fit every key's windows; Reserve() finds the earliest time it
// does, books that time on every key, and returns it. The caller waits until then (queueing)
// rather than dropping anything. Windows are sliding: a send at t frees its slot at t + window.
// Booked future times count against every window that contains them, which is conservative.
//
// WeCom counts a send when it *arrives*, the limiter books when it *starts*. A send that arrives
// late (a slow network, a loaded host) would make a later send, started exactly one window after
// the booking, land inside WeCom's window — and be dropped silently. Two defences: Settle() moves
// a booking to the time its send finished (it arrived no later), so later reservations count from
// there; and `arrival_guard` widens every window for the sends reserved while an earlier one was
// still in flight (their bookings were not settled yet). The wecom-notify storm benchmark lost 4
// of 60 messages to this before both were in place.
//
// Limits are per process. Several replicas sending for the same app must construct their
// limiters with divided limits -- a limiter cannot see the others.
//
// Thread-safety: safe for concurrent use.

#ifndef WECOM_NOTIFY_LIBS_WECOM_RATE_LIMITER_H_
#define WECOM_NOTIFY_LIBS_WECOM_RATE_LIMITER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace wecom_notify::wecom {

struct RateLimit {
  absl::Duration window;
  size_t max_sends;  // REQUIRES: > 0
};

// 30 / minute and 1000 / hour per member of one app.
std::vector<RateLimit> AppMessageLimits();
// 20 / minute per robot key.
std::vector<RateLimit> RobotLimits();
// The arrival guard production limiters use: sends reserved while earlier ones are in flight
// keep this much extra distance (5 s: well above WeCom's usual answer time, small next to the
// 60 s window).
inline constexpr absl::Duration kArrivalGuard = absl::Seconds(5);

class RateLimiter {
 public:
  // Every key gets the same `limits`, each window widened by `arrival_guard` (see above).
  // REQUIRES: each max_sends > 0.
  explicit RateLimiter(std::vector<RateLimit> limits,
                       absl::Duration arrival_guard = absl::ZeroDuration());

  // NextAllowed()
  //
  // The earliest time >= `now` at which one send to all of `keys` fits every limit. Books nothing.
  absl::Time NextAllowed(absl::Span<const std::string> keys, absl::Time now) const;

  // Reserve()
  //
  // Books one send to every key in `keys` at NextAllowed(keys, now) and returns that time. The
  // caller must send no earlier than the returned time.
  absl::Time Reserve(absl::Span<const std::string> keys, absl::Time now);

  // Settle()
  //
  // The send booked at `booked` (a Reserve() result for `keys`) finished at `finished`: WeCom
  // received it no later. Moves that booking to `finished` when later; later reservations count
  // their windows from there. No-op for bookings already pruned.
  void Settle(absl::Span<const std::string> keys, absl::Time booked, absl::Time finished);

  // The number of sends booked for `key` in (now - window, +inf) for the limit with `window`.
  size_t Booked(const std::string& key, absl::Duration window, absl::Time now) const;

 private:
  absl::Time NextAllowedLocked(absl::Span<const std::string> keys, absl::Time now) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void PruneLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::vector<RateLimit> limits_;
  const absl::Duration arrival_guard_;
  const absl::Duration longest_window_;
  mutable absl::Mutex mu_;
  // Per key, booked send times in ascending order.
  std::map<std::string, std::deque<absl::Time>> sends_ ABSL_GUARDED_BY(mu_);
  absl::Time last_prune_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

// DailyQuota counts WeCom's per-app daily quota: "每应用不可超过账号上限数*200人次/天" -- an app may
// send at most (the corp's account limit x 200) person-times per day, a message to 1000 users
// counting 1000 (wecom-api.md §2.4). What WeCom does beyond it is unverified (silent drop or
// 45009), so the sender stops before it and fails with a clear error instead.
//
// Days are natural days in China Standard Time (UTC+8), WeCom's day (自然天). Counts are per
// process, like RateLimiter's. Departments, tags and "@all" count as one person each: their
// member counts are unknown here, so the count is a lower bound for them.
//
// Thread-safety: safe for concurrent use.
class DailyQuota {
 public:
  // Person-times per day for an app of a corp with `account_limit` accounts.
  static int64_t PerAppPerDay(int64_t account_limit) { return account_limit * 200; }

  // Take()
  //
  // Books `persons` person-times for `app` today if that stays within `per_day`; returns whether
  // it did. Nothing is booked on false.
  bool Take(const std::string& app, int64_t per_day, int64_t persons, absl::Time now);

  // Person-times booked for `app` on the day of `now`.
  int64_t Used(const std::string& app, absl::Time now) const;

  // The start of the next WeCom day after `now`.
  static absl::Time NextDay(absl::Time now);

 private:
  struct Day {
    int64_t day = 0;  // days since the epoch, UTC+8
    int64_t used = 0;
  };
  mutable absl::Mutex mu_;
  std::map<std::string, Day> apps_ ABSL_GUARDED_BY(mu_);
};

}  // namespace wecom_notify::wecom

#endif  // WECOM_NOTIFY_LIBS_WECOM_RATE_LIMITER_H_
