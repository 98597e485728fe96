#include "libs/notify_server/readiness.h"

#include "absl/strings/str_cat.h"
#include "libs/logging/logging.h"

namespace wecom_notify::notify_server {

void Readiness::Set(absl::string_view condition, const absl::Status& outcome) {
  absl::MutexLock lock(&mu_);
  const bool was_ready = failed_.empty();
  auto it = failed_.find(condition);
  if (outcome.ok()) {
    if (it == failed_.end()) return;
    failed_.erase(it);
    logging::Info("readiness condition met again", {{"condition", condition}});
  } else {
    if (it == failed_.end()) {
      logging::Error("readiness condition failed: notifyd reports NOT ready until it recovers",
                     {{"condition", condition}, {"err", outcome.message()}});
      failed_.emplace(std::string(condition), outcome);
    } else {
      it->second = outcome;
    }
  }
  const bool ready = failed_.empty();
  if (ready != was_ready && on_change_) on_change_(ready);
}

absl::Status Readiness::Check() const {
  absl::MutexLock lock(&mu_);
  if (failed_.empty()) return absl::OkStatus();
  std::string message = "not ready:";
  const char* separator = " ";
  for (const auto& [condition, status] : failed_) {
    absl::StrAppend(&message, separator, condition, ": ", status.message());
    separator = "; ";
  }
  return absl::UnavailableError(message);
}

bool Readiness::IsMet(absl::string_view condition) const {
  absl::MutexLock lock(&mu_);
  return failed_.find(condition) == failed_.end();
}

}  // namespace wecom_notify::notify_server
