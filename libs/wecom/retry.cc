#include "libs/wecom/retry.h"

#include <algorithm>
#include <cmath>

#include "absl/random/random.h"

namespace wecom_notify::wecom {

absl::Duration RetryPolicy::BackoffFor(int retry, const Classification& c) const {
  const double factor = std::pow(multiplier, std::max(0, retry - 1));
  const absl::Duration base = std::min(initial_backoff * factor, max_backoff);
  thread_local absl::BitGen gen;
  const double jitter = absl::Uniform(absl::IntervalClosed, gen, 0.5, 1.0);
  return std::max(base * jitter, c.min_retry_delay);
}

int RetryPolicy::MaxAttemptsFor(const Classification& c) const {
  return c.max_attempts > 0 ? std::min(c.max_attempts, max_attempts) : max_attempts;
}

}  // namespace wecom_notify::wecom
