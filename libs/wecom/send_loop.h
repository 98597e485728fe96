// File: libs/wecom/send_loop.h
//
// Internal to libs/wecom: the retry loop and outcome logging both senders share.

#ifndef WECOM_NOTIFY_LIBS_WECOM_SEND_LOOP_H_
#define WECOM_NOTIFY_LIBS_WECOM_SEND_LOOP_H_

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "libs/common/clock.h"
#include "libs/wecom/metrics.h"
#include "libs/wecom/result.h"
#include "libs/wecom/retry.h"

namespace wecom_notify::wecom::internal {

// Calls `attempt` until its outcome is not kRetry or the policy's attempts are used up, sleeping
// on `clock` between attempts. `attempt` returns one classified outcome (its `attempts` field
// counts the HTTP calls it made). Logs retries and the final outcome under `what` (no secrets);
// records every outcome in `metrics` (nullable) under `endpoint`. Returns the last outcome with
// `attempts` summed.
CallOutcome RunWithRetry(Clock& clock, const RetryPolicy& policy, absl::string_view endpoint,
                         absl::string_view what, WeComMetrics* metrics,
                         absl::FunctionRef<CallOutcome()> attempt);

// Appends `from`'s invalid recipients to `into`.
void MergeInvalid(const InvalidRecipients& from, InvalidRecipients* into);

}  // namespace wecom_notify::wecom::internal

#endif  // WECOM_NOTIFY_LIBS_WECOM_SEND_LOOP_H_
