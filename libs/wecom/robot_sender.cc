#include "libs/wecom/robot_sender.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "libs/wecom/limits.h"
#include "libs/wecom/redact.h"
#include "libs/wecom/send_loop.h"
#include "libs/wecom/utf8.h"
#include "libs/wecom/wecom_json.h"

namespace wecom_notify::wecom {
namespace {

constexpr absl::string_view kEndpoint = "webhook_send";

// "…/webhook/send?key=K&x=y" -> "K"; a bare key is returned unchanged.
std::string KeyFromConfig(absl::string_view key) {
  const size_t pos = key.find("key=");
  if (pos == absl::string_view::npos || (pos > 0 && key[pos - 1] != '?' && key[pos - 1] != '&')) {
    return std::string(key);
  }
  absl::string_view value = key.substr(pos + 4);
  return std::string(value.substr(0, value.find('&')));
}

}  // namespace

void InFlightLimiter::Acquire(const std::string& key) {
  absl::MutexLock lock(&mu_);
  const auto below = [this, &key]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return in_flight_[key] < max_per_key_;
  };
  mu_.Await(absl::Condition(&below));
  ++in_flight_[key];
}

void InFlightLimiter::Release(const std::string& key) {
  absl::MutexLock lock(&mu_);
  if (--in_flight_[key] <= 0) in_flight_.erase(key);
}

RobotSender::RobotSender(RobotConfig config, Deps deps, RetryPolicy retry)
    : config_(std::move(config)), deps_(deps), retry_(retry) {
  config_.key = KeyFromConfig(config_.key);
  robot_id_ = SecretFingerprint(config_.key);
  limiter_key_ = absl::StrCat("robot/", config_.key);
  if (!config_.mentioned_mobiles.empty() ||
      std::find(config_.mentioned_users.begin(), config_.mentioned_users.end(), "@all") !=
          config_.mentioned_users.end()) {
    spdlog::info("wecom: {}: @all and mobile mentions apply to text messages only", robot_id_);
  }
}

std::string RobotSender::MarkdownMentions() const {
  std::string out;
  for (const std::string& user : config_.mentioned_users) {
    if (user.empty() || user == "@all") continue;
    absl::StrAppend(&out, out.empty() ? "\n" : "", "<@", user, ">");
  }
  return out;
}

size_t RobotSender::MaxContentBytes(MessageFormat format) const {
  if (format == MessageFormat::kText) return kRobotTextMaxBytes;
  return kRobotMarkdownMaxBytes - MarkdownMentions().size();
}

absl::Status RobotSender::Send(MessageFormat format, absl::string_view content,
                               const SendOptions& options, SendReport* report_out) {
  SendReport local;
  SendReport* report = report_out != nullptr ? report_out : &local;
  *report = SendReport();
  if (config_.key.empty()) return absl::InvalidArgumentError("robot: empty key");
  if (content.empty()) return absl::InvalidArgumentError("robot: empty content");
  const size_t max = MaxContentBytes(format);
  if (content.size() > max) {
    return absl::InvalidArgumentError(absl::StrCat("robot: content is ", content.size(),
                                                   " bytes, above the limit of ", max,
                                                   "; split it with SplitMessage()"));
  }
  if (deps_.queue == nullptr) return Deliver(format, content, options.mentions, report);
  // Named: FunctionRef does not own what it refers to.
  const auto max_bytes = [this](MessageFormat f) { return MaxContentBytes(f); };
  const auto ready_at = [this](absl::Time now) {
    return deps_.limiter != nullptr ? deps_.limiter->NextAllowed({limiter_key_}, now) : now;
  };
  const auto deliver = [this](const SendQueue::Message& m, SendReport* r) {
    return Deliver(m.format, m.content, m.mentions, r);
  };
  const SendQueue::Destination d{absl::StrCat(config_.webhook_url, "?", limiter_key_), kEndpoint,
                                 max_bytes, ready_at, deliver};
  return deps_.queue->Send(d, {format, std::string(content), options.mentions}, report);
}

absl::Status RobotSender::Deliver(MessageFormat format, absl::string_view content, bool mentions,
                                  SendReport* report) {
  internal::RobotMessageBody body;
  body.content = SanitizeUtf8(content);
  if (format == MessageFormat::kText) {
    body.msgtype = "text";
    if (mentions) {
      body.mentioned_list = config_.mentioned_users;
      body.mentioned_mobile_list = config_.mentioned_mobiles;
    }
  } else {
    body.msgtype = "markdown";
    if (mentions) body.content.append(MarkdownMentions());
  }
  HttpRequest request;
  request.method = HttpRequest::Method::kPost;
  request.url = absl::StrCat(config_.webhook_url, "?key=", config_.key);
  request.body = internal::BuildRobotMessageJson(body);
  request.proxy_url = config_.proxy_url;
  request.proxy_from_environment = config_.proxy_from_environment;

  const std::string& limiter_key = limiter_key_;
  absl::Time booked = absl::InfinitePast();
  if (deps_.limiter != nullptr) {
    const absl::Time now = deps_.clock->Now();
    const absl::Time at = deps_.limiter->Reserve({limiter_key}, now);
    booked = at;
    if (at > now) {
      spdlog::info("wecom: {}: waiting {} to stay under 20 messages/min", robot_id_,
                   absl::FormatDuration(at - now));
      report->rate_limit_wait += at - now;
      if (deps_.metrics != nullptr) deps_.metrics->RecordRateLimitWait(kEndpoint, at - now);
      deps_.clock->SleepFor(at - now);
    }
  }
  if (deps_.in_flight != nullptr) deps_.in_flight->Acquire(limiter_key);
  absl::Cleanup release = [&] {
    if (deps_.in_flight != nullptr) deps_.in_flight->Release(limiter_key);
  };

  CallOutcome outcome = internal::RunWithRetry(
      *deps_.clock, retry_, kEndpoint, absl::StrCat(robot_id_, " webhook/send"), deps_.metrics,
      [&] {
        absl::StatusOr<HttpResponse> response = deps_.transport->Send(request);
        return response.ok() ? ParseOutcome(absl::OkStatus(), response->status_code, response->body)
                             : ParseOutcome(response.status(), 0, "");
      });
  if (deps_.limiter != nullptr) deps_.limiter->Settle({limiter_key}, booked, deps_.clock->Now());
  const absl::Status status = outcome.ToStatus();
  report->requests.push_back(std::move(outcome));
  return status;
}

}  // namespace wecom_notify::wecom
