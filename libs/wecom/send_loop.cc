#include "libs/wecom/send_loop.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_join.h"
#include "libs/wecom/redact.h"

namespace wecom_notify::wecom::internal {
namespace {

void LogFinal(const std::string& what, const CallOutcome& outcome) {
  if (outcome.json_format_warning) {
    spdlog::error("wecom: {}: WeCom warned 'wrong json format' (errmsg: {}); this is a bug", what,
                  outcome.errmsg);
  }
  switch (outcome.result_class()) {
    case ResultClass::kOk:
      spdlog::debug("wecom: {}: delivered", what);
      return;
    case ResultClass::kPartial: {
      const InvalidRecipients& inv = outcome.invalid;
      spdlog::warn(
          "wecom: {}: delivered, but WeCom reported invaliduser=[{}] invalidparty=[{}] "
          "invalidtag=[{}] unlicenseduser=[{}]: {}",
          what, absl::StrJoin(inv.users, ","), absl::StrJoin(inv.parties, ","),
          absl::StrJoin(inv.tags, ","), absl::StrJoin(inv.unlicensed_users, ","),
          outcome.classification.action);
      return;
    }
    default:
      spdlog::error("wecom: {}: failed: {}", what,
                    RedactSecrets(std::string(outcome.ToStatus().message())));
      return;
  }
}

}  // namespace

CallOutcome RunWithRetry(Clock& clock, const RetryPolicy& policy, absl::string_view endpoint,
                         absl::string_view what, WeComMetrics* metrics,
                         absl::FunctionRef<CallOutcome()> attempt) {
  int calls = 0;
  for (int n = 1;; ++n) {
    CallOutcome outcome = attempt();
    calls += outcome.attempts;
    outcome.attempts = calls;
    if (metrics != nullptr) metrics->RecordRequest(endpoint, outcome);
    if (outcome.result_class() != ResultClass::kRetry ||
        n >= policy.MaxAttemptsFor(outcome.classification)) {
      LogFinal(std::string(what), outcome);
      return outcome;
    }
    const absl::Duration delay = policy.BackoffFor(n, outcome.classification);
    spdlog::warn("wecom: {}: attempt {} failed ({}); retrying in {}", std::string(what), n,
                 RedactSecrets(std::string(outcome.ToStatus().message())),
                 absl::FormatDuration(delay));
    clock.SleepFor(delay);
  }
}

void MergeInvalid(const InvalidRecipients& from, InvalidRecipients* into) {
  const auto append = [](const std::vector<std::string>& a, std::vector<std::string>* b) {
    b->insert(b->end(), a.begin(), a.end());
  };
  append(from.users, &into->users);
  append(from.parties, &into->parties);
  append(from.tags, &into->tags);
  append(from.unlicensed_users, &into->unlicensed_users);
}

}  // namespace wecom_notify::wecom::internal
