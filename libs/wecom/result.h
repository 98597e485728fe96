// File: libs/wecom/result.h
//
// What one WeCom API call came to, and what the sender does about it. Every outcome -- transport
// failure, HTTP status, body that is not JSON, and each `errcode` -- is classified by ONE table
// (ClassificationRules(), first matching row wins), so the policy is read and reviewed in one
// place and each row is unit-tested.
//
//   kOk           delivered.
//   kPartial      delivered to some recipients; the rest are named in invalid_* (errcode 0).
//   kRefreshToken the access token is bad: drop it, fetch a new one, resend once.
//   kRetry        transient: back off exponentially with jitter, at least `min_retry_delay`.
//   kPermanent    will not succeed as is: no retry loop; `action` tells the operator what to fix.
//
// Thread-safety: pure functions and immutable data.

#ifndef WECOM_NOTIFY_LIBS_WECOM_RESULT_H_
#define WECOM_NOTIFY_LIBS_WECOM_RESULT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace wecom_notify::wecom {

enum class ResultClass { kOk, kPartial, kRefreshToken, kRetry, kPermanent };

// "ok", "partial", "refresh_token", "retry", "permanent" (stable: used as a metric label value).
absl::string_view ResultClassName(ResultClass result_class);

// What the sender saw. Exactly one of: a transport error; an HTTP status other than 200; a 200
// whose body is not WeCom JSON; a 200 with an errcode (absent errcode counts as 0).
struct ClassifyInput {
  absl::Status transport_status;  // non-OK: no HTTP response at all
  int http_status = 200;
  bool body_is_json = true;
  int64_t errcode = 0;
  absl::string_view errmsg;
  bool has_invalid_recipients = false;  // any of invaliduser/party/tag/unlicenseduser non-empty
};

struct Classification {
  ResultClass result_class = ResultClass::kPermanent;
  // kRetry: wait at least this long before the next attempt (45009 asks for 60 s).
  absl::Duration min_retry_delay = absl::ZeroDuration();
  // kRetry: cap on attempts for this row, first attempt included; 0 = the sender's policy.
  int max_attempts = 0;
  // The canonical code a final failure of this class is reported with.
  absl::StatusCode status_code = absl::StatusCode::kOk;
  // Operator-facing hint ("add egress IP 1.2.3.4 to the app's trusted IPs ..."); may be empty.
  std::string action;
  // Index of the matching row in ClassificationRules(); -1 if none.
  int rule = -1;
};

// One row of the table. `kind` says what the row matches; a row matches an input when the kind
// matches, the input's code (errcode, HTTP status or absl::StatusCode) is in [code_lo, code_hi],
// and, if `errmsg_contains` (lower case) is non-null, errmsg contains it, ignoring ASCII case.
struct ClassificationRule {
  enum class Kind { kTransport, kHttpStatus, kNotJson, kErrcode, kAnyErrcode };
  Kind kind;
  int64_t code_lo;
  int64_t code_hi;
  ResultClass result_class;
  absl::Duration min_retry_delay;
  int max_attempts;
  absl::StatusCode status_code;
  // `{ip}` is replaced with the IP after "from ip: " in errmsg, `{errcode}` with the errcode.
  const char* action;
  const char* errmsg_contains = nullptr;
};

// The table, in match order. Exposed so tests can prove every row is exercised.
absl::Span<const ClassificationRule> ClassificationRules();

// Classify()
//
// Returns the classification of the first matching row, with `action` filled in. An errcode 0
// with invalid recipients is kPartial. An errcode no row names is kPermanent (WeCom: "only system
// failures should be retried"), with an action asking to look the code up.
Classification Classify(const ClassifyInput& input);

// The caller IP WeCom quotes in errmsg ("..., from ip: 1.2.3.4, more info ..."), or "" if absent.
std::string ExtractFromIp(absl::string_view errmsg);

// Recipients WeCom reported as not delivered on an otherwise successful (or 81013) send.
struct InvalidRecipients {
  std::vector<std::string> users;             // invaliduser (WeCom lower-cases them)
  std::vector<std::string> parties;           // invalidparty
  std::vector<std::string> tags;              // invalidtag
  std::vector<std::string> unlicensed_users;  // unlicenseduser: in range, no basic licence

  bool empty() const {
    return users.empty() && parties.empty() && tags.empty() && unlicensed_users.empty();
  }
};

// The result of one HTTP call to WeCom (after classification), as reported to callers, logs and
// metrics. Contains no secret: errmsg and error texts are passed through RedactSecrets().
struct CallOutcome {
  Classification classification;
  absl::Status transport_status;  // non-OK when no HTTP response arrived
  int http_status = 0;            // 0 when no HTTP response arrived
  int64_t errcode = 0;
  std::string errmsg;
  std::string msgid;  // app messages: for message/recall
  InvalidRecipients invalid;
  // errmsg contained "Warning: wrong json format": WeCom guessed at our JSON. A bug on our side.
  bool json_format_warning = false;
  int attempts = 0;  // HTTP calls made for this request, retries and the token resend included

  ResultClass result_class() const { return classification.result_class; }
  // OK for kOk/kPartial; otherwise classification.status_code with a message naming the errcode,
  // errmsg and action (e.g. "WeCom errcode 60020 (not allow ...): add egress IP ...").
  absl::Status ToStatus() const;
};

// Parses a WeCom JSON answer (or the transport failure) into a classified CallOutcome.
CallOutcome ParseOutcome(const absl::Status& transport_status, int http_status,
                         absl::string_view body);

}  // namespace wecom_notify::wecom

#endif  // WECOM_NOTIFY_LIBS_WECOM_RESULT_H_
