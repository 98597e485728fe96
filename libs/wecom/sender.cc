#include "libs/wecom/sender.h"

#include <utility>

#include "libs/wecom/send_loop.h"

namespace wecom_notify::wecom {

void AppendReport(SendReport part, SendReport* total) {
  for (CallOutcome& o : part.requests) total->requests.push_back(std::move(o));
  internal::MergeInvalid(part.invalid, &total->invalid);
  total->token_refreshes += part.token_refreshes;
  total->rate_limit_wait += part.rate_limit_wait;
}

absl::Status SendParts(Sender& sender, MessageFormat format, absl::Span<const std::string> parts,
                       SendReport* report) {
  if (report != nullptr) *report = SendReport();
  for (size_t i = 0; i < parts.size(); ++i) {
    SendOptions options;
    options.mentions = i == 0;
    SendReport one;
    const absl::Status status = sender.Send(format, parts[i], options, &one);
    if (report != nullptr) AppendReport(std::move(one), report);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace wecom_notify::wecom
