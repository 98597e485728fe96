#include "libs/wecom/app_message_sender.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/wecom/limits.h"
#include "libs/wecom/send_loop.h"
#include "libs/wecom/utf8.h"
#include "libs/wecom/wecom_json.h"

namespace wecom_notify::wecom {
namespace {

constexpr absl::string_view kEndpoint = "message_send";

// Trimmed, non-empty, first occurrence only (case-insensitive when `fold_case`).
std::vector<std::string> Unique(const std::vector<std::string>& ids, bool fold_case) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const std::string& raw : ids) {
    std::string id(absl::StripAsciiWhitespace(raw));
    if (id.empty()) continue;
    if (seen.insert(fold_case ? absl::AsciiStrToLower(id) : id).second) out.push_back(id);
  }
  return out;
}

}  // namespace

std::vector<RecipientBatch> BatchRecipients(const Recipients& to, const std::string& app_key) {
  std::vector<std::string> users = Unique(to.users, /*fold_case=*/true);
  std::vector<std::string> parties = Unique(to.parties, false);
  std::vector<std::string> tags = Unique(to.tags, false);
  const bool all = std::find(users.begin(), users.end(), "@all") != users.end();
  if (all) {
    RecipientBatch batch;
    batch.touser = "@all";
    batch.limiter_keys = {absl::StrCat(app_key, "/@all")};
    batch.persons = 1;
    return {batch};
  }
  std::vector<RecipientBatch> batches;
  for (size_t i = 0;; ++i) {
    const size_t u = i * kMaxUsersPerRequest, p = i * kMaxPartiesPerRequest,
                 t = i * kMaxTagsPerRequest;
    if (u >= users.size() && p >= parties.size() && t >= tags.size()) break;
    RecipientBatch batch;
    const auto take = [&](const std::vector<std::string>& ids, size_t from, size_t cap,
                          const char* kind, std::string* joined) {
      if (from >= ids.size()) return;
      const auto first = ids.begin() + from;
      const auto last = ids.begin() + std::min(ids.size(), from + cap);
      *joined = absl::StrJoin(first, last, "|");
      for (auto it = first; it != last; ++it) {
        batch.limiter_keys.push_back(
            absl::StrCat(app_key, "/", kind, "/", absl::AsciiStrToLower(*it)));
      }
    };
    take(users, u, kMaxUsersPerRequest, "user", &batch.touser);
    take(parties, p, kMaxPartiesPerRequest, "party", &batch.toparty);
    take(tags, t, kMaxTagsPerRequest, "tag", &batch.totag);
    batch.persons = static_cast<int64_t>(batch.limiter_keys.size());
    batches.push_back(std::move(batch));
  }
  return batches;
}

namespace {
AppConfig WithAgentLabel(AppConfig config) {
  config.credentials.agent_id = config.agent_id;
  return config;
}
}  // namespace

AppMessageSender::AppMessageSender(AppConfig config, Recipients to, Deps deps, RetryPolicy retry)
    : config_(WithAgentLabel(std::move(config))),
      deps_(deps),
      retry_(retry),
      app_key_(absl::StrCat("app/", config_.credentials.corp_id, "/", config_.agent_id)),
      batches_(BatchRecipients(to, app_key_)) {
  for (const RecipientBatch& b : batches_) {
    all_limiter_keys_.insert(all_limiter_keys_.end(), b.limiter_keys.begin(),
                             b.limiter_keys.end());
  }
  std::vector<std::string> sorted = all_limiter_keys_;
  std::sort(sorted.begin(), sorted.end());
  destination_key_ = absl::StrCat(config_.credentials.api_url, "|", app_key_, "|",
                                  absl::StrJoin(sorted, ","));
}

size_t AppMessageSender::MaxContentBytes(MessageFormat format) const {
  return format == MessageFormat::kMarkdown ? kAppMarkdownMaxBytes : kAppTextMaxBytes;
}

CallOutcome AppMessageSender::SendOnce(const std::string& body, SendReport* report) {
  CallOutcome outcome;
  for (int pass = 0; pass < 2; ++pass) {
    CallOutcome token_failure;
    absl::StatusOr<std::string> token = deps_.tokens->Get(config_.credentials, &token_failure);
    if (!token.ok()) {
      token_failure.attempts = 1;
      return token_failure;  // already classified: kRetry or kPermanent
    }
    HttpRequest request;
    request.method = HttpRequest::Method::kPost;
    request.url = absl::StrCat(config_.credentials.api_url, "message/send?access_token=", *token);
    request.body = body;
    request.proxy_url = config_.credentials.proxy_url;
    request.proxy_from_environment = config_.credentials.proxy_from_environment;
    absl::StatusOr<HttpResponse> response = deps_.transport->Send(request);
    CallOutcome attempt =
        response.ok() ? ParseOutcome(absl::OkStatus(), response->status_code, response->body)
                      : ParseOutcome(response.status(), 0, "");
    attempt.attempts += outcome.attempts;
    outcome = std::move(attempt);
    if (outcome.result_class() != ResultClass::kRefreshToken) return outcome;
    if (pass == 0) {
      // Drop the token WeCom rejected, fetch once, resend once.
      spdlog::info("wecom: {}: access token rejected (errcode {}); fetching a new one", app_key_,
                   outcome.errcode);
      deps_.tokens->Invalidate(config_.credentials, *token);
      ++report->token_refreshes;
    }
  }
  // Rejected twice in a row: this is not a stale token; report it as final.
  outcome.classification.result_class = ResultClass::kPermanent;
  return outcome;
}

absl::Status AppMessageSender::TakeQuota(const RecipientBatch& batch) {
  if (deps_.quota == nullptr) return absl::OkStatus();
  const absl::Time now = deps_.clock->Now();
  const int64_t per_day = config_.account_limit > 0
                              ? DailyQuota::PerAppPerDay(config_.account_limit)
                              : std::numeric_limits<int64_t>::max();
  if (deps_.quota->Take(app_key_, per_day, batch.persons, now)) return absl::OkStatus();
  if (deps_.metrics != nullptr) deps_.metrics->RecordDailyQuotaExhausted(config_.agent_id);
  const absl::Status status = absl::ResourceExhaustedError(absl::StrCat(
      "app message: ", app_key_, " used ", deps_.quota->Used(app_key_, now), " of its ", per_day,
      " person-times for today (account_limit ", config_.account_limit,
      " x 200; this request needs ", batch.persons,
      "); WeCom would drop or refuse it, so it was not sent; the quota resets at ",
      absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", DailyQuota::NextDay(now), absl::UTCTimeZone()),
      " (00:00 China time); raise account_limit if the corp's account limit grew"));
  spdlog::error("wecom: {}", std::string(status.message()));
  return status;
}

absl::Status AppMessageSender::Send(MessageFormat format, absl::string_view content,
                                    const SendOptions& /*options: no mentions in app messages*/,
                                    SendReport* report_out) {
  SendReport local;
  SendReport* report = report_out != nullptr ? report_out : &local;
  *report = SendReport();
  if (content.empty()) return absl::InvalidArgumentError("app message: empty content");
  const size_t max = MaxContentBytes(format);
  if (content.size() > max) {
    return absl::InvalidArgumentError(absl::StrCat("app message: content is ", content.size(),
                                                   " bytes, above WeCom's ", max,
                                                   "; split it with SplitMessage()"));
  }
  if (config_.agent_id <= 0) {
    return absl::InvalidArgumentError("app message: agent_id must be a positive integer");
  }
  if (batches_.empty()) return absl::InvalidArgumentError("app message: no recipient");
  if (deps_.queue == nullptr) return Deliver(format, content, report);
  // Named: FunctionRef does not own what it refers to.
  const auto max_bytes = [this](MessageFormat f) { return MaxContentBytes(f); };
  const auto ready_at = [this](absl::Time now) {
    return deps_.limiter != nullptr ? deps_.limiter->NextAllowed(all_limiter_keys_, now) : now;
  };
  const auto deliver = [this](const SendQueue::Message& m, SendReport* r) {
    return Deliver(m.format, m.content, r);
  };
  const SendQueue::Destination d{destination_key_, kEndpoint, max_bytes, ready_at, deliver};
  return deps_.queue->Send(d, {format, std::string(content), true}, report);
}

absl::Status AppMessageSender::Deliver(MessageFormat format, absl::string_view content,
                                       SendReport* report) {
  const std::vector<RecipientBatch>& batches = batches_;

  internal::AppMessageBody body;
  body.msgtype = format == MessageFormat::kMarkdown ? "markdown" : "text";
  body.content = SanitizeUtf8(content);
  body.agentid = config_.agent_id;
  body.enable_duplicate_check = config_.enable_duplicate_check;
  body.duplicate_check_interval_seconds =
      std::clamp<int64_t>(absl::ToInt64Seconds(config_.duplicate_check_interval), 1, 4 * 3600);

  absl::Status first_error;
  for (size_t i = 0; i < batches.size(); ++i) {
    const RecipientBatch& batch = batches[i];
    if (absl::Status quota = TakeQuota(batch); !quota.ok()) {
      if (first_error.ok()) first_error = quota;
      break;
    }
    absl::Time booked = absl::InfinitePast();
    if (deps_.limiter != nullptr) {
      const absl::Time now = deps_.clock->Now();
      const absl::Time at = deps_.limiter->Reserve(batch.limiter_keys, now);
      booked = at;
      if (at > now) {
        spdlog::info("wecom: {}: waiting {} to stay under WeCom's per-member limits", app_key_,
                     absl::FormatDuration(at - now));
        report->rate_limit_wait += at - now;
        if (deps_.metrics != nullptr) deps_.metrics->RecordRateLimitWait(kEndpoint, at - now);
        deps_.clock->SleepFor(at - now);
      }
    }
    body.touser = batch.touser;
    body.toparty = batch.toparty;
    body.totag = batch.totag;
    const std::string json = internal::BuildAppMessageJson(body);
    const std::string what = absl::StrCat(app_key_, " message/send ", i + 1, "/", batches.size());
    CallOutcome outcome =
        internal::RunWithRetry(*deps_.clock, retry_, kEndpoint, what, deps_.metrics,
                               [&] { return SendOnce(json, report); });
    if (deps_.limiter != nullptr) {
      deps_.limiter->Settle(batch.limiter_keys, booked, deps_.clock->Now());
    }
    internal::MergeInvalid(outcome.invalid, &report->invalid);
    const absl::Status status = outcome.ToStatus();
    report->requests.push_back(std::move(outcome));
    if (!status.ok() && first_error.ok()) first_error = status;
    // A content or configuration error applies to every batch; "all recipients invalid"
    // (81013) only to this one.
    if (!status.ok() && report->requests.back().errcode != 81013) break;
  }
  return first_error;
}

}  // namespace wecom_notify::wecom
