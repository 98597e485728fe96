#include "libs/wecom/wecom_json.h"

#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace wecom_notify::wecom::internal {
namespace {

using nlohmann::json;

// Raw UTF-8 (ensure_ascii = false); invalid bytes become U+FFFD instead of throwing.
std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// invaliduser and friends are "a|b" strings; accept arrays too, and drop empty items.
std::vector<std::string> IdList(const json& answer, const char* field) {
  std::vector<std::string> ids;
  auto it = answer.find(field);
  if (it == answer.end()) return ids;
  if (it->is_string()) {
    for (absl::string_view id : absl::StrSplit(it->get_ref<const std::string&>(), '|')) {
      if (!id.empty()) ids.emplace_back(id);
    }
  } else if (it->is_array()) {
    for (const json& id : *it) {
      if (id.is_string()) ids.push_back(id.get<std::string>());
      if (id.is_number_integer()) ids.push_back(std::to_string(id.get<int64_t>()));
    }
  }
  return ids;
}

int64_t IntField(const json& answer, const char* field) {
  auto it = answer.find(field);
  if (it == answer.end()) return 0;
  if (it->is_number_integer()) return it->get<int64_t>();
  int64_t value = 0;
  if (it->is_string() && absl::SimpleAtoi(it->get_ref<const std::string&>(), &value)) return value;
  return 0;
}

std::string StringField(const json& answer, const char* field) {
  auto it = answer.find(field);
  if (it != answer.end() && it->is_string()) return it->get<std::string>();
  return "";
}

}  // namespace

std::string BuildAppMessageJson(const AppMessageBody& body) {
  json j = json::object();
  if (!body.touser.empty()) j["touser"] = body.touser;
  if (!body.toparty.empty()) j["toparty"] = body.toparty;
  if (!body.totag.empty()) j["totag"] = body.totag;
  j["msgtype"] = body.msgtype;
  j["agentid"] = body.agentid;
  j[body.msgtype] = {{"content", body.content}};
  if (body.enable_duplicate_check) {
    j["enable_duplicate_check"] = 1;
    j["duplicate_check_interval"] = body.duplicate_check_interval_seconds;
  }
  return Dump(j);
}

std::string BuildRobotMessageJson(const RobotMessageBody& body) {
  json content = {{"content", body.content}};
  if (!body.mentioned_list.empty()) content["mentioned_list"] = body.mentioned_list;
  if (!body.mentioned_mobile_list.empty()) {
    content["mentioned_mobile_list"] = body.mentioned_mobile_list;
  }
  json j = {{"msgtype", body.msgtype}, {body.msgtype, std::move(content)}};
  return Dump(j);
}

std::optional<Answer> ParseAnswer(absl::string_view body) {
  json j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  Answer a;
  a.errcode = IntField(j, "errcode");
  a.errmsg = StringField(j, "errmsg");
  a.access_token = StringField(j, "access_token");
  a.expires_in = IntField(j, "expires_in");
  a.msgid = StringField(j, "msgid");
  a.invaliduser = IdList(j, "invaliduser");
  a.invalidparty = IdList(j, "invalidparty");
  a.invalidtag = IdList(j, "invalidtag");
  a.unlicenseduser = IdList(j, "unlicenseduser");
  return a;
}

}  // namespace wecom_notify::wecom::internal
