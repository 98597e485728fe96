// File: libs/wecom/wecom_json.h
//
// Internal to libs/wecom: the only translation unit that includes nlohmann/json. Builds request
// bodies as raw UTF-8 JSON (never \uXXXX escapes: WeCom's errcode 40033) and parses answers.
// Nothing here throws.

#ifndef WECOM_NOTIFY_LIBS_WECOM_WECOM_JSON_H_
#define WECOM_NOTIFY_LIBS_WECOM_WECOM_JSON_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace wecom_notify::wecom::internal {

struct AppMessageBody {
  std::string touser;  // already "|"-joined; empty fields are omitted
  std::string toparty;
  std::string totag;
  std::string msgtype;  // "text" or "markdown"
  std::string content;
  int64_t agentid = 0;
  bool enable_duplicate_check = false;
  int64_t duplicate_check_interval_seconds = 0;
};
std::string BuildAppMessageJson(const AppMessageBody& body);

struct RobotMessageBody {
  std::string msgtype;  // "text" or "markdown"
  std::string content;
  std::vector<std::string> mentioned_list;         // text only
  std::vector<std::string> mentioned_mobile_list;  // text only
};
std::string BuildRobotMessageJson(const RobotMessageBody& body);

// The fields of a WeCom answer this library reads. nullopt when `body` is not a JSON object.
struct Answer {
  int64_t errcode = 0;  // absent errcode = success
  std::string errmsg;
  std::string access_token;
  int64_t expires_in = 0;
  std::string msgid;
  std::vector<std::string> invaliduser, invalidparty, invalidtag, unlicenseduser;
};
std::optional<Answer> ParseAnswer(absl::string_view body);

}  // namespace wecom_notify::wecom::internal

#endif  // WECOM_NOTIFY_LIBS_WECOM_WECOM_JSON_H_
