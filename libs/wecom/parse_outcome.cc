// ParseOutcome() lives apart from result.cc so the classification table compiles without JSON.
#include "absl/strings/ascii.h"
#include "libs/wecom/redact.h"
#include "libs/wecom/result.h"
#include "libs/wecom/wecom_json.h"

namespace wecom_notify::wecom {

CallOutcome ParseOutcome(const absl::Status& transport_status, int http_status,
                         absl::string_view body) {
  CallOutcome out;
  out.attempts = 1;
  ClassifyInput in;
  if (!transport_status.ok()) {
    out.transport_status = absl::Status(transport_status.code(),
                                        RedactSecrets(std::string(transport_status.message())));
    in.transport_status = out.transport_status;
    out.classification = Classify(in);
    return out;
  }
  out.http_status = http_status;
  in.http_status = http_status;
  std::optional<internal::Answer> answer;
  if (http_status == 200) answer = internal::ParseAnswer(body);
  in.body_is_json = answer.has_value();
  if (answer) {
    out.errcode = answer->errcode;
    out.errmsg = RedactSecrets(answer->errmsg);
    out.msgid = answer->msgid;
    out.invalid.users = std::move(answer->invaliduser);
    out.invalid.parties = std::move(answer->invalidparty);
    out.invalid.tags = std::move(answer->invalidtag);
    out.invalid.unlicensed_users = std::move(answer->unlicenseduser);
    out.json_format_warning =
        absl::AsciiStrToLower(out.errmsg).find("wrong json format") != std::string::npos;
    in.errcode = out.errcode;
    in.errmsg = out.errmsg;
    in.has_invalid_recipients = !out.invalid.empty();
  }
  out.classification = Classify(in);
  return out;
}

}  // namespace wecom_notify::wecom
