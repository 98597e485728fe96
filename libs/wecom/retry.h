// File: libs/wecom/retry.h
//
// RetryPolicy: exponential backoff with full jitter for kRetry outcomes, on the injected Clock.
// The delay before retry n (n = 1 for the first retry) is a uniform random value in
// [base/2, base] with base = min(initial_backoff * multiplier^(n-1), max_backoff), and never less
// than the classification's min_retry_delay (45009 asks for 60 s).
//
// Thread-safety: BackoffFor() is safe for concurrent use.

#ifndef WECOM_NOTIFY_LIBS_WECOM_RETRY_H_
#define WECOM_NOTIFY_LIBS_WECOM_RETRY_H_

#include "absl/time/time.h"
#include "libs/wecom/result.h"

namespace wecom_notify::wecom {

struct RetryPolicy {
  // Attempts per request, the first included; a classification row may lower it (-1: 4).
  int max_attempts = 4;
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Seconds(30);
  double multiplier = 2.0;

  // The wait before retry number `retry` (>= 1) of an outcome classified as `c`.
  absl::Duration BackoffFor(int retry, const Classification& c) const;
  // Attempts allowed for an outcome classified as `c`.
  int MaxAttemptsFor(const Classification& c) const;
};

}  // namespace wecom_notify::wecom

#endif  // WECOM_NOTIFY_LIBS_WECOM_RETRY_H_
