#include "libs/wecom/result.h"

#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace wecom_notify::wecom {
namespace {

using Kind = ClassificationRule::Kind;
using absl::StatusCode;
constexpr ResultClass kOk = ResultClass::kOk;
constexpr ResultClass kRefresh = ResultClass::kRefreshToken;
constexpr ResultClass kRetry = ResultClass::kRetry;
constexpr ResultClass kPermanent = ResultClass::kPermanent;
constexpr absl::Duration kNone = absl::ZeroDuration();

constexpr int64_t Code(StatusCode code) { return static_cast<int64_t>(code); }

// THE table. Sources for each errcode: /work/shared/research/wecom-api.md §4.
const ClassificationRule kRules[] = {
    // --- no HTTP response ---
    {Kind::kTransport, Code(StatusCode::kDeadlineExceeded), Code(StatusCode::kDeadlineExceeded),
     kRetry, kNone, 0, StatusCode::kDeadlineExceeded,
     "WeCom did not answer in time; the message may have been delivered (duplicate check keeps "
     "a resend from showing twice)"},
    {Kind::kTransport, Code(StatusCode::kInvalidArgument), Code(StatusCode::kInvalidArgument),
     kPermanent, kNone, 0, StatusCode::kInvalidArgument,
     "the API URL or proxy URL is malformed: check api_url and proxy_url"},
    {Kind::kTransport, Code(StatusCode::kFailedPrecondition),
     Code(StatusCode::kFailedPrecondition), kPermanent, kNone, 0, StatusCode::kFailedPrecondition,
     "the server's TLS certificate is not trusted: if a TLS-inspecting egress proxy or a private "
     "CA is in the way, add its CA certificate to the CA bundle option"},
    {Kind::kTransport, 0, Code(StatusCode::kUnauthenticated), kRetry, kNone, 0,
     StatusCode::kUnavailable,
     "cannot reach WeCom: check DNS, the egress firewall and the proxy (https_proxy / proxy_url)"},
    // --- HTTP status other than 200 ---
    {Kind::kHttpStatus, 500, 599, kRetry, kNone, 0, StatusCode::kUnavailable,
     "WeCom (or the proxy) answered HTTP 5xx"},
    {Kind::kHttpStatus, 429, 429, kRetry, absl::Seconds(1), 0, StatusCode::kUnavailable,
     "WeCom (or the proxy) answered HTTP 429 Too Many Requests"},
    {Kind::kHttpStatus, 408, 408, kRetry, kNone, 0, StatusCode::kUnavailable,
     "WeCom (or the proxy) answered HTTP 408 Request Timeout"},
    {Kind::kHttpStatus, 300, 399, kPermanent, kNone, 0, StatusCode::kFailedPrecondition,
     "WeCom answered a redirect: api_url must be https://qyapi.weixin.qq.com/cgi-bin/"},
    {Kind::kHttpStatus, 0, 999, kPermanent, kNone, 0, StatusCode::kFailedPrecondition,
     "unexpected HTTP status: check api_url (https://qyapi.weixin.qq.com/cgi-bin/) and the proxy"},
    // --- HTTP 200 whose body is not WeCom JSON (a proxy's error page, a cut-off answer) ---
    {Kind::kNotJson, 0, 0, kRetry, kNone, 0, StatusCode::kUnavailable,
     "WeCom's answer is not JSON: a proxy may be answering in its place"},
    // --- errcode ---
    // errcode 0 with "Warning: wrong json format": WeCom guessed at a body it could not parse
    // (wecom-api.md §0, §8.5). It may or may not have been delivered (one report saw no delivery),
    // so it is not success; resending the same body would draw the same guess, so no retry.
    {Kind::kErrcode, 0, 0, kPermanent, kNone, 0, StatusCode::kInternal,
     "WeCom answered 'Warning: wrong json format' and may not have delivered the message: our "
     "request JSON is malformed, a bug in wecom-notify, please report it with the errmsg",
     "wrong json format"},
    {Kind::kErrcode, 0, 0, kOk, kNone, 0, StatusCode::kOk, ""},
    {Kind::kErrcode, -1, -1, kRetry, kNone, 4, StatusCode::kUnavailable,
     "WeCom is busy (errcode -1); retried up to 3 times"},
    {Kind::kErrcode, 45009, 45009, kRetry, absl::Seconds(60), 0, StatusCode::kResourceExhausted,
     "WeCom frequency limit hit (per member, per app, per robot, or an IP ban after repeated wrong "
     "secrets); sending waits at least 60 s"},
    {Kind::kErrcode, 45033, 45033, kRetry, absl::Seconds(1), 0, StatusCode::kResourceExhausted,
     "too many concurrent calls to WeCom; lower the number of parallel senders"},
    {Kind::kErrcode, 81026, 81026, kRetry, absl::Seconds(30), 0, StatusCode::kUnavailable,
     "WeCom is under maintenance (errcode 81026)"},
    {Kind::kErrcode, 40014, 40014, kRefresh, kNone, 0, StatusCode::kUnauthenticated,
     "WeCom rejected a freshly fetched access token; check that corp_id, secret and agent_id "
     "belong to the same app"},
    {Kind::kErrcode, 42001, 42001, kRefresh, kNone, 0, StatusCode::kUnauthenticated,
     "WeCom rejected a freshly fetched access token as expired; check the host clock and that no "
     "other system resets this app's secret"},
    {Kind::kErrcode, 41001, 41001, kRefresh, kNone, 0, StatusCode::kInternal,
     "access_token missing from the request: a bug in wecom-notify, please report it"},
    {Kind::kErrcode, 40001, 40001, kPermanent, kNone, 0, StatusCode::kUnauthenticated,
     "wrong app secret, or the app is disabled: check the secret of the app with this agent_id "
     "(repeated wrong secrets get the egress IP blocked for an hour)"},
    {Kind::kErrcode, 40013, 40013, kPermanent, kNone, 0, StatusCode::kFailedPrecondition,
     "wrong corp ID: copy it from the admin console, My Company > Company Info > Company ID"},
    {Kind::kErrcode, 40091, 40091, kPermanent, kNone, 0, StatusCode::kUnauthenticated,
     "the secret is not valid for this corp ID (a secret of another company?)"},
    {Kind::kErrcode, 41002, 41002, kPermanent, kNone, 0, StatusCode::kFailedPrecondition,
     "corp ID missing: set corp_id"},
    {Kind::kErrcode, 41004, 41004, kPermanent, kNone, 0, StatusCode::kFailedPrecondition,
     "app secret missing: set the app secret"},
    {Kind::kErrcode, 45031, 45031, kPermanent, kNone, 0, StatusCode::kFailedPrecondition,
     "WeCom considers the app secret unsafe: reset it in the admin console"},
    {Kind::kErrcode, 40056, 40056, kPermanent, kNone, 0, StatusCode::kFailedPrecondition,
     "invalid agent ID: use the AgentId shown on the app's page in the admin console"},
    {Kind::kErrcode, 41011, 41011, kPermanent, kNone, 0, StatusCode::kFailedPrecondition,
     "agent ID missing: set agent_id"},
    {Kind::kErrcode, 301002, 301002, kPermanent, kNone, 0, StatusCode::kFailedPrecondition,
     "agent ID does not match the app whose secret is configured: use the AgentId and Secret of "
     "the same app"},
    {Kind::kErrcode, 48002, 48002, kPermanent, kNone, 0, StatusCode::kPermissionDenied,
     "the app may not call this API: check the secret (a truncated secret causes this) and the "
     "app's API permissions"},
    {Kind::kErrcode, 50003, 50003, kPermanent, kNone, 0, StatusCode::kFailedPrecondition,
     "the app is disabled: enable it in the admin console"},
    {Kind::kErrcode, 60031, 60031, kPermanent, kNone, 0, StatusCode::kFailedPrecondition,
     "the app may no longer call APIs: check the app's status in the admin console"},
    {Kind::kErrcode, 60011, 60011, kPermanent, kNone, 0, StatusCode::kPermissionDenied,
     "recipients outside the app's visible range: widen the app's visible range"},
    {Kind::kErrcode, 60020, 60020, kPermanent, kNone, 0, StatusCode::kPermissionDenied,
     "add egress IP {ip} to the app's trusted IPs (App Management > the app > Trusted IP); it "
     "takes effect after about a minute"},
    {Kind::kErrcode, 81013, 81013, kPermanent, kNone, 0, StatusCode::kFailedPrecondition,
     "every recipient is invalid or outside the app's visible range: check the user, department "
     "and tag IDs and the app's visible range"},
    {Kind::kErrcode, 82001, 82001, kPermanent, kNone, 0, StatusCode::kInvalidArgument,
     "no recipient: set at least one user, department or tag"},
    {Kind::kErrcode, 40031, 40031, kPermanent, kNone, 0, StatusCode::kInvalidArgument,
     "invalid user list: check the user IDs"},
    {Kind::kErrcode, 40066, 40066, kPermanent, kNone, 0, StatusCode::kInvalidArgument,
     "invalid department list: department IDs are integers"},
    {Kind::kErrcode, 40068, 40068, kPermanent, kNone, 0, StatusCode::kInvalidArgument,
     "invalid tag list: tag IDs are integers"},
    {Kind::kErrcode, 40032, 40032, kPermanent, kNone, 0, StatusCode::kInternal,
     "more than 1000 users in one request: a bug in wecom-notify's recipient split"},
    {Kind::kErrcode, 82002, 82003, kPermanent, kNone, 0, StatusCode::kInternal,
     "more than 100 departments or tags in one request: a bug in wecom-notify's recipient split"},
    {Kind::kErrcode, 93000, 93000, kPermanent, kNone, 0, StatusCode::kFailedPrecondition,
     "invalid robot key, or the robot was removed from the group: copy the key from the robot's "
     "webhook URL"},
    {Kind::kErrcode, 93004, 93004, kPermanent, kNone, 0, StatusCode::kFailedPrecondition,
     "the robot is disabled: enable it in the group"},
    {Kind::kErrcode, 93008, 93008, kPermanent, kNone, 0, StatusCode::kFailedPrecondition,
     "the robot is not in the group any more: add it back or use another key"},
    {Kind::kErrcode, 45002, 45002, kPermanent, kNone, 0, StatusCode::kInvalidArgument,
     "message content too large: it must be split before sending (a bug if seen)"},
    {Kind::kErrcode, 40058, 40058, kPermanent, kNone, 0, StatusCode::kInvalidArgument,
     "WeCom rejected a parameter (too long, empty or malformed; see errmsg)"},
    {Kind::kErrcode, 44004, 44004, kPermanent, kNone, 0, StatusCode::kInvalidArgument,
     "empty message content: check the template"},
    {Kind::kErrcode, 40008, 40008, kPermanent, kNone, 0, StatusCode::kInternal,
     "invalid msgtype: a bug in wecom-notify, please report it"},
    {Kind::kErrcode, 40033, 40033, kPermanent, kNone, 0, StatusCode::kInternal,
     "WeCom rejected \\uXXXX escapes: a bug in wecom-notify's JSON encoding"},
    {Kind::kErrcode, 82004, 82004, kPermanent, kNone, 0, StatusCode::kInvalidArgument,
     "WeCom refused content that could crash clients: check the template"},
    // Anything else: WeCom says only system failures deserve a retry.
    {Kind::kAnyErrcode, 0, 0, kPermanent, kNone, 0, StatusCode::kFailedPrecondition,
     "unknown WeCom errcode {errcode}: look it up at "
     "https://open.work.weixin.qq.com/devtool/query?e={errcode}"},
};

bool Matches(const ClassificationRule& rule, const ClassifyInput& in) {
  const auto in_range = [&](int64_t v) { return v >= rule.code_lo && v <= rule.code_hi; };
  if (!in.transport_status.ok()) {
    return rule.kind == Kind::kTransport && in_range(Code(in.transport_status.code()));
  }
  if (in.http_status != 200) return rule.kind == Kind::kHttpStatus && in_range(in.http_status);
  if (!in.body_is_json) return rule.kind == Kind::kNotJson;
  if (rule.errmsg_contains != nullptr &&
      !absl::StrContains(absl::AsciiStrToLower(in.errmsg), rule.errmsg_contains)) {
    return false;  // errmsg_contains is lower case
  }
  if (rule.kind == Kind::kAnyErrcode) return true;
  return rule.kind == Kind::kErrcode && in_range(in.errcode);
}

}  // namespace

absl::string_view ResultClassName(ResultClass result_class) {
  switch (result_class) {
    case ResultClass::kOk:
      return "ok";
    case ResultClass::kPartial:
      return "partial";
    case ResultClass::kRefreshToken:
      return "refresh_token";
    case ResultClass::kRetry:
      return "retry";
    case ResultClass::kPermanent:
      return "permanent";
  }
  return "unknown";
}

absl::Span<const ClassificationRule> ClassificationRules() { return kRules; }

std::string ExtractFromIp(absl::string_view errmsg) {
  constexpr absl::string_view kFromIp = "from ip: ";
  const size_t pos = errmsg.find(kFromIp);
  if (pos == absl::string_view::npos) return "";
  size_t begin = pos + kFromIp.size();
  size_t end = begin;
  // IPv4 or IPv6 characters only, so nothing else of errmsg leaks into the action text.
  while (end < errmsg.size() && (absl::ascii_isxdigit(static_cast<unsigned char>(errmsg[end])) ||
                                 errmsg[end] == '.' || errmsg[end] == ':')) {
    ++end;
  }
  return std::string(errmsg.substr(begin, end - begin));
}

Classification Classify(const ClassifyInput& input) {
  for (size_t i = 0; i < std::size(kRules); ++i) {
    const ClassificationRule& rule = kRules[i];
    if (!Matches(rule, input)) continue;
    Classification c;
    c.rule = static_cast<int>(i);
    c.result_class = rule.result_class;
    if (c.result_class == ResultClass::kOk && input.has_invalid_recipients) {
      c.result_class = ResultClass::kPartial;
    }
    c.min_retry_delay = rule.min_retry_delay;
    c.max_attempts = rule.max_attempts;
    c.status_code = rule.status_code;
    std::string ip = ExtractFromIp(input.errmsg);
    c.action = absl::StrReplaceAll(rule.action,
                                   {{"{ip}", ip.empty() ? std::string("<the IP in errmsg>") : ip},
                                    {"{errcode}", absl::StrCat(input.errcode)}});
    if (c.result_class == ResultClass::kPartial) {
      c.action = "some recipients are invalid, unlicensed or outside the app's visible range";
    }
    return c;
  }
  // Unreachable: the kAnyErrcode row matches every errcode, the catch-all HTTP row every status.
  return Classification{};
}

absl::Status CallOutcome::ToStatus() const {
  if (result_class() == ResultClass::kOk || result_class() == ResultClass::kPartial) {
    return absl::OkStatus();
  }
  std::string message;
  if (!transport_status.ok()) {
    message = std::string(transport_status.message());
  } else if (http_status != 200) {
    message = absl::StrCat("WeCom answered HTTP ", http_status);
  } else {
    message = absl::StrCat("WeCom errcode ", errcode, " (", errmsg, ")");
  }
  if (!classification.action.empty()) absl::StrAppend(&message, ": ", classification.action);
  if (attempts > 1) absl::StrAppend(&message, " [after ", attempts, " attempts]");
  return absl::Status(classification.status_code, message);
}

}  // namespace wecom_notify::wecom
