#include "libs/wecom/rate_limiter.h"

#include <algorithm>
#include <cassert>

namespace wecom_notify::wecom {

std::vector<RateLimit> AppMessageLimits() {
  return {{absl::Minutes(1), 30}, {absl::Hours(1), 1000}};
}

std::vector<RateLimit> RobotLimits() { return {{absl::Minutes(1), 20}}; }

RateLimiter::RateLimiter(std::vector<RateLimit> limits, absl::Duration arrival_guard)
    : limits_(std::move(limits)), arrival_guard_(arrival_guard), longest_window_([this] {
        absl::Duration longest = absl::ZeroDuration();
        for (const RateLimit& l : limits_) longest = std::max(longest, l.window);
        return longest + arrival_guard_;
      }()) {
  for ([[maybe_unused]] const RateLimit& l : limits_) assert(l.max_sends > 0);
}

absl::Time RateLimiter::NextAllowedLocked(absl::Span<const std::string> keys,
                                          absl::Time now) const {
  absl::Time at = now;
  for (const std::string& key : keys) {
    auto it = sends_.find(key);
    if (it == sends_.end()) continue;
    const std::deque<absl::Time>& times = it->second;
    for (const RateLimit& limit : limits_) {
      // A send at t fits when fewer than max_sends booked times are > t - window, i.e. when the
      // max_sends-th latest booked time is <= t - window.
      if (times.size() < limit.max_sends) continue;
      at = std::max(at, times[times.size() - limit.max_sends] + limit.window + arrival_guard_);
    }
  }
  return at;
}

absl::Time RateLimiter::NextAllowed(absl::Span<const std::string> keys, absl::Time now) const {
  absl::ReaderMutexLock lock(&mu_);
  return NextAllowedLocked(keys, now);
}

absl::Time RateLimiter::Reserve(absl::Span<const std::string> keys, absl::Time now) {
  absl::MutexLock lock(&mu_);
  PruneLocked(now);
  const absl::Time at = NextAllowedLocked(keys, now);
  for (const std::string& key : keys) {
    std::deque<absl::Time>& times = sends_[key];
    times.insert(std::upper_bound(times.begin(), times.end(), at), at);
  }
  return at;
}

void RateLimiter::Settle(absl::Span<const std::string> keys, absl::Time booked,
                         absl::Time finished) {
  if (finished <= booked) return;
  absl::MutexLock lock(&mu_);
  for (const std::string& key : keys) {
    auto it = sends_.find(key);
    if (it == sends_.end()) continue;
    std::deque<absl::Time>& times = it->second;
    auto at = std::lower_bound(times.begin(), times.end(), booked);
    if (at == times.end() || *at != booked) continue;
    times.erase(at);
    times.insert(std::upper_bound(times.begin(), times.end(), finished), finished);
  }
}

size_t RateLimiter::Booked(const std::string& key, absl::Duration window, absl::Time now) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = sends_.find(key);
  if (it == sends_.end()) return 0;
  return static_cast<size_t>(it->second.end() -
                             std::upper_bound(it->second.begin(), it->second.end(), now - window));
}

void RateLimiter::PruneLocked(absl::Time now) {
  // Times at or before now - longest_window no longer count; drop them at most once a minute.
  if (now - last_prune_ < absl::Minutes(1)) return;
  last_prune_ = now;
  const absl::Time horizon = now - longest_window_;
  for (auto it = sends_.begin(); it != sends_.end();) {
    std::deque<absl::Time>& times = it->second;
    while (!times.empty() && times.front() <= horizon) times.pop_front();
    it = times.empty() ? sends_.erase(it) : std::next(it);
  }
}

namespace {

constexpr int64_t kChinaOffsetSeconds = 8 * 3600;

int64_t WeComDay(absl::Time now) {
  const int64_t seconds = absl::ToUnixSeconds(now) + kChinaOffsetSeconds;
  return seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
}

}  // namespace

bool DailyQuota::Take(const std::string& app, int64_t per_day, int64_t persons, absl::Time now) {
  absl::MutexLock lock(&mu_);
  Day& d = apps_[app];
  const int64_t today = WeComDay(now);
  if (d.day != today) d = Day{today, 0};
  if (d.used + persons > per_day) return false;
  d.used += persons;
  return true;
}

int64_t DailyQuota::Used(const std::string& app, absl::Time now) const {
  absl::MutexLock lock(&mu_);
  auto it = apps_.find(app);
  return it == apps_.end() || it->second.day != WeComDay(now) ? 0 : it->second.used;
}

absl::Time DailyQuota::NextDay(absl::Time now) {
  return absl::FromUnixSeconds((WeComDay(now) + 1) * 86400 - kChinaOffsetSeconds);
}

}  // namespace wecom_notify::wecom
