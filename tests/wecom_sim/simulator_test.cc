#include "libs/wecom_sim/simulator.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/clock.h"
#include "libs/wecom_sim/config.h"
#include "nlohmann/json.hpp"

namespace wecom_notify::wecom_sim {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kAgent = 1000002;
constexpr char kCorp[] = "ww-sim-corp";
constexpr char kSecret[] = "sim-secret-1000002";
constexpr char kRobot[] = "sim-robot-key-1";

class SimulatorTest : public ::testing::Test {
 protected:
  SimulatorTest() { Start(DefaultConfig()); }

  void Start(Config config) { sim_ = std::make_unique<Simulator>(std::move(config), clock_); }
  void Start(const std::string& yaml) {
    auto config = ParseConfig(yaml);
    ASSERT_TRUE(config.ok()) << config.status();
    Start(*std::move(config));
  }

  Reply Raw(std::string method, std::string path, std::string query, std::string body = "") {
    return sim_->Handle(Request{std::move(method), std::move(path), std::move(query),
                                std::move(body), "127.0.0.1"});
  }

  json Parse(const Reply& reply) {
    EXPECT_EQ(reply.status, 200) << reply.body;
    json j = json::parse(reply.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << reply.body;
    return j;
  }

  json Gettoken(const std::string& query) { return Parse(Raw("GET", "/cgi-bin/gettoken", query)); }

  std::string Token(const std::string& secret = kSecret) {
    json j = Gettoken(absl::StrCat("corpid=", kCorp, "&corpsecret=", secret));
    EXPECT_EQ(j["errcode"], 0) << j;
    return j.value("access_token", "");
  }

  Reply SendRaw(const std::string& body, const std::string& token) {
    return Raw("POST", "/cgi-bin/message/send", "access_token=" + token, body);
  }
  json Send(const json& body, const std::string& token) {
    return Parse(SendRaw(body.dump(), token));
  }
  json SendText(const std::string& touser, const std::string& text, const std::string& token) {
    return Send({{"touser", touser},
                 {"msgtype", "text"},
                 {"agentid", kAgent},
                 {"text", {{"content", text}}}},
                token);
  }

  json Robot(const json& body, const std::string& key = kRobot) {
    return Parse(Raw("POST", "/cgi-bin/webhook/send", "key=" + key, body.dump()));
  }
  json RobotMarkdown(const std::string& text, const std::string& type = "markdown") {
    return Robot({{"msgtype", type}, {type, {{"content", text}}}});
  }

  json Messages(const std::string& query = "") {
    return Parse(Raw("GET", "/sim/messages", query))["messages"];
  }

  SimulatedClock clock_;
  std::unique_ptr<Simulator> sim_;
};

// ----- gettoken -----------------------------------------------------------------------------

TEST_F(SimulatorTest, GettokenIssuesATokenWithTheConfiguredLifetime) {
  json j = Gettoken(absl::StrCat("corpid=", kCorp, "&corpsecret=", kSecret));
  EXPECT_EQ(j["errcode"], 0);
  EXPECT_EQ(j["errmsg"], "ok");
  EXPECT_GE(j["access_token"].get<std::string>().size(), 64u);
  EXPECT_EQ(j["expires_in"], 7200);
}

TEST_F(SimulatorTest, GettokenChecksSecretThenCorpidThenCredentials) {
  EXPECT_EQ(Gettoken("")["errcode"], 41004);  // secret checked before corpid
  EXPECT_EQ(Gettoken("corpid=x")["errcode"], 41004);
  EXPECT_EQ(Gettoken("corpsecret=x")["errcode"], 41002);
  EXPECT_EQ(Gettoken("corpid=wrong&corpsecret=x")["errcode"], 40013);
  json bad = Gettoken(absl::StrCat("corpid=", kCorp, "&corpsecret=wrong"));
  EXPECT_EQ(bad["errcode"], 40001);
  EXPECT_FALSE(bad.contains("access_token"));
  EXPECT_THAT(bad["errmsg"].get<std::string>(),
              testing::MatchesRegex("invalid credential, hint: \\[[0-9]{19}\\], from ip: "
                                    "127\\.0\\.0\\.1, more info at https://open\\.work\\.weixin"
                                    "\\.qq\\.com/devtool/query\\?e=40001"));
}

TEST_F(SimulatorTest, QueryIsPercentDecoded) {
  EXPECT_EQ(Gettoken("corpid=ww%2dsim%2Dcorp&corpsecret=sim-secret-1000002")["errcode"], 0);
  EXPECT_EQ(Gettoken("corpid=ww+sim-corp&corpsecret=sim-secret-1000002")["errcode"], 40013);
}

TEST_F(SimulatorTest, ErrorsCarryErrorCodeAndErrorMsgHeaders) {
  Reply reply = Raw("GET", "/cgi-bin/gettoken", "corpid=wrong&corpsecret=x");
  EXPECT_EQ(reply.content_type, "application/json; charset=UTF-8");
  ASSERT_GE(reply.headers.size(), 2u);
  EXPECT_EQ(reply.headers[0], (std::pair<std::string, std::string>("Error-Code", "40013")));
  EXPECT_EQ(reply.headers[1].first, "Error-Msg");
  EXPECT_THAT(reply.headers[1].second, StartsWith("invalid corpid, hint: ["));
}

TEST_F(SimulatorTest, DisabledAppGets40001) {
  Config config = DefaultConfig();
  config.apps[0].enabled = false;
  Start(config);
  EXPECT_EQ(Gettoken(absl::StrCat("corpid=", kCorp, "&corpsecret=", kSecret))["errcode"], 40001);
}

TEST_F(SimulatorTest, GettokenReturnsTheSameTokenUntilItExpires) {
  const std::string first = Token();
  clock_.Advance(absl::Seconds(7199));
  EXPECT_EQ(Token(), first);
  clock_.Advance(absl::Seconds(1));
  EXPECT_NE(Token(), first);
}

TEST_F(SimulatorTest, ExpiresInCanCountDown) {
  Start("expires_in: remaining\n");
  Token();
  clock_.Advance(absl::Seconds(100));
  EXPECT_EQ(Gettoken(absl::StrCat("corpid=", kCorp, "&corpsecret=", kSecret))["expires_in"], 7100);
}

TEST_F(SimulatorTest, NewEachCallModeKeepsOlderTokensValid) {
  Start("token_reuse: new_each_call\n");
  const std::string first = Token();
  const std::string second = Token();
  EXPECT_NE(first, second);
  EXPECT_EQ(SendText("zhangsan", "a", first)["errcode"], 0);
  EXPECT_EQ(SendText("zhangsan", "b", second)["errcode"], 0);
}

TEST_F(SimulatorTest, TokenIsValidUntilJustBeforeItsLifetimeThen42001) {
  Start("token_lifetime: 30s\n");
  const std::string token = Token();
  clock_.Advance(absl::Seconds(30) - absl::Milliseconds(1));
  EXPECT_EQ(SendText("zhangsan", "still valid", token)["errcode"], 0);
  clock_.Advance(absl::Milliseconds(1));
  json j = SendText("zhangsan", "expired", token);
  EXPECT_EQ(j["errcode"], 42001);
  EXPECT_THAT(j["errmsg"].get<std::string>(), StartsWith("access_token expired, hint: ["));
  EXPECT_EQ(Messages().size(), 1u);
}

TEST_F(SimulatorTest, RevokedTokenAnswers40014ThenGettokenIssuesANewOne) {
  const std::string token = Token();
  sim_->RevokeToken(token, 40014);
  json j = SendText("zhangsan", "x", token);
  EXPECT_EQ(j["errcode"], 40014);
  EXPECT_EQ(j["errmsg"], "invalid access_token");  // exactly, no hint suffix
  const std::string fresh = Token();
  EXPECT_NE(fresh, token);
  EXPECT_EQ(SendText("zhangsan", "x", fresh)["errcode"], 0);
}

TEST_F(SimulatorTest, RevokeOverHttpCanAnswer42001) {
  const std::string token = Token();
  json r = Parse(
      Raw("POST", "/sim/revoke-token", "", json{{"agentid", kAgent}, {"errcode", 42001}}.dump()));
  EXPECT_EQ(r["revoked"], 1);
  EXPECT_EQ(SendText("zhangsan", "x", token)["errcode"], 42001);
}

TEST_F(SimulatorTest, TokenOnlyFromTheQuery) {
  const std::string token = Token();
  json body = {{"access_token", token},
               {"touser", "zhangsan"},
               {"msgtype", "text"},
               {"agentid", kAgent},
               {"text", {{"content", "x"}}}};
  Reply reply = Raw("POST", "/cgi-bin/message/send", "", body.dump());
  EXPECT_EQ(Parse(reply)["errcode"], 41001);
  EXPECT_EQ(Send(body, "garbage")["errcode"], 40014);
}

TEST_F(SimulatorTest, RepeatedBadSecretsBanTheIpFromGettoken) {
  Start("bad_secret_ban_threshold: 3\nbad_secret_ban: 1h\n");
  const std::string bad = absl::StrCat("corpid=", kCorp, "&corpsecret=wrong");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Gettoken(bad)["errcode"], 40001);
  EXPECT_EQ(Gettoken(absl::StrCat("corpid=", kCorp, "&corpsecret=", kSecret))["errcode"], 45009);
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Gettoken(absl::StrCat("corpid=", kCorp, "&corpsecret=", kSecret))["errcode"], 0);
}

// ----- message/send: envelope and agentid ----------------------------------------------------

TEST_F(SimulatorTest, DeliveredMessageIsInspectableWithAllFields) {
  const std::string token = Token();
  json body = {
      {"touser", "zhangsan|lisi"},           {"msgtype", "text"}, {"agentid", kAgent},
      {"text", {{"content", "磁盘告警 🔥"}}}, {"safe", 0},         {"enable_duplicate_check", 1},
      {"duplicate_check_interval", 600}};
  json reply = Send(body, token);
  EXPECT_EQ(reply["errcode"], 0);
  EXPECT_EQ(reply["errmsg"], "ok");
  EXPECT_EQ(reply["invaliduser"], "");
  ASSERT_TRUE(reply.contains("msgid"));

  json messages = Messages();
  ASSERT_EQ(messages.size(), 1u);
  const json& m = messages[0];
  EXPECT_EQ(m["seq"], 1);
  EXPECT_EQ(m["endpoint"], "message/send");
  EXPECT_EQ(m["agentid"], kAgent);
  EXPECT_EQ(m["msgtype"], "text");
  EXPECT_EQ(m["content"]["content"], "磁盘告警 🔥");
  EXPECT_EQ(m["touser"], json({"zhangsan", "lisi"}));
  EXPECT_EQ(m["to"]["touser"], "zhangsan|lisi");
  EXPECT_EQ(m["msgid"], reply["msgid"]);
  EXPECT_EQ(m["enable_duplicate_check"], 1);
  EXPECT_EQ(m["duplicate_check_interval"], 600);
  EXPECT_EQ(m["request"], body.dump());
  EXPECT_EQ(m["truncated"], false);
  // Raw UTF-8, not \u escapes.
  EXPECT_THAT(Raw("GET", "/sim/messages", "").body, HasSubstr("磁盘告警"));
}

TEST_F(SimulatorTest, MessagesCarryTheirReceiptTimeInMicroseconds) {
  const std::string token = Token();
  clock_.Set(absl::FromUnixMicros(1'700'000'100'123'456));
  ASSERT_EQ(SendText("zhangsan", "first", token)["errcode"], 0);
  clock_.Advance(absl::Microseconds(250));
  ASSERT_EQ(RobotMarkdown("second")["errcode"], 0);

  json messages = Messages();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0]["time_unix_us"], 1'700'000'100'123'456);
  EXPECT_EQ(messages[0]["time_unix_ms"], 1'700'000'100'123);
  EXPECT_EQ(messages[1]["time_unix_us"], 1'700'000'100'123'706);
}

TEST_F(SimulatorTest, AgentidMayBeANumericString) {
  json j = Send({{"touser", "zhangsan"},
                 {"msgtype", "text"},
                 {"agentid", "1000002"},
                 {"text", {{"content", "x"}}}},
                Token());
  EXPECT_EQ(j["errcode"], 0);
}

TEST_F(SimulatorTest, AgentidErrors) {
  const std::string token = Token();
  json body = {{"touser", "zhangsan"}, {"msgtype", "text"}, {"text", {{"content", "x"}}}};
  EXPECT_EQ(Send(body, token)["errcode"], 41011);
  body["agentid"] = "abc";
  EXPECT_EQ(Send(body, token)["errcode"], 40056);
  body["agentid"] = 999;
  EXPECT_EQ(Send(body, token)["errcode"], 40056);
  body["agentid"] = 1000003;  // exists, but the token belongs to 1000002
  json j = Send(body, token);
  EXPECT_EQ(j["errcode"], 301002);
  EXPECT_THAT(j["errmsg"].get<std::string>(),
              StartsWith("not allow operate another agent with this accesstoken., hint: ["));
}

TEST_F(SimulatorTest, LenientJsonAcceptsTrailingCommasWithAWarning) {
  const std::string body =
      R"({"touser":"zhangsan","msgtype":"text","agentid":1000002,"text":{"content":"a, }"},})";
  json j = Parse(SendRaw(body, Token()));
  EXPECT_EQ(j["errcode"], 0);
  EXPECT_EQ(j["errmsg"], "ok. Warning: wrong json format. ");
  json m = Messages()[0];
  EXPECT_EQ(m["content"]["content"], "a, }");  // commas inside strings are kept
  EXPECT_EQ(m["json_warning"], true);
}

TEST_F(SimulatorTest, UnparsableOrEmptyBodies) {
  const std::string token = Token();
  EXPECT_EQ(Parse(SendRaw("{not json", token))["errcode"], 40058);
  EXPECT_EQ(Parse(SendRaw("", token))["errcode"], 44002);
  Start("lenient_json: false\n");
  const std::string body =
      R"({"touser":"zhangsan","msgtype":"text","agentid":1000002,"text":{"content":"a"},})";
  EXPECT_EQ(Parse(SendRaw(body, Token()))["errcode"], 40058);
}

TEST_F(SimulatorTest, UnknownPathIs404WithAnEmptyBody) {
  Reply reply = Raw("GET", "/cgi-bin/nope", "");
  EXPECT_EQ(reply.status, 404);
  EXPECT_EQ(reply.body, "");
}

// ----- message/send: recipients --------------------------------------------------------------

TEST_F(SimulatorTest, PartlyInvalidRecipientsAreReportedAndTheRestDelivered) {
  json j = Send({{"touser", "ZhangSan | Nobody"},
                 {"toparty", "99"},
                 {"totag", "77"},
                 {"msgtype", "text"},
                 {"agentid", kAgent},
                 {"text", {{"content", "x"}}}},
                Token());
  EXPECT_EQ(j["errcode"], 0);
  EXPECT_EQ(j["invaliduser"], "nobody");  // lower-cased
  EXPECT_EQ(j["invalidparty"], "99");
  EXPECT_EQ(j["invalidtag"], "77");
  EXPECT_EQ(Messages()[0]["touser"], json({"zhangsan"}));
  EXPECT_EQ(Messages("touser=ZHANGSAN").size(), 1u);
  EXPECT_EQ(Messages("touser=lisi").size(), 0u);
}

TEST_F(SimulatorTest, AllRecipientsInvalidIs81013WithTheLists) {
  json j = Send({{"touser", "ghost|Phantom"},
                 {"toparty", "99"},
                 {"msgtype", "text"},
                 {"agentid", kAgent},
                 {"text", {{"content", "x"}}}},
                Token());
  EXPECT_EQ(j["errcode"], 81013);
  EXPECT_THAT(j["errmsg"].get<std::string>(), StartsWith("user & party & tag all invalid, hint: "));
  EXPECT_EQ(j["invaliduser"], "ghost|phantom");
  EXPECT_EQ(j["invalidparty"], "99");
  EXPECT_EQ(Messages().size(), 0u);
}

TEST_F(SimulatorTest, NoRecipientsAtAllIs82001) {
  const std::string token = Token();
  json body = {{"msgtype", "text"}, {"agentid", kAgent}, {"text", {{"content", "x"}}}};
  EXPECT_EQ(Send(body, token)["errcode"], 82001);
  body["touser"] = "";
  body["toparty"] = " | ";
  EXPECT_EQ(Send(body, token)["errcode"], 82001);
}

TEST_F(SimulatorTest, ListSizeLimits) {
  const std::string token = Token();
  std::string users, parties;
  for (int i = 0; i < 1001; ++i) absl::StrAppend(&users, i ? "|" : "", "u", i);
  for (int i = 0; i < 101; ++i) absl::StrAppend(&parties, i ? "|" : "", i + 1);
  json body = {{"msgtype", "text"}, {"agentid", kAgent}, {"text", {{"content", "x"}}}};
  body["touser"] = users;
  EXPECT_EQ(Send(body, token)["errcode"], 40032);
  body.erase("touser");
  body["toparty"] = parties;
  EXPECT_EQ(Send(body, token)["errcode"], 82002);
  body.erase("toparty");
  body["totag"] = parties;
  EXPECT_EQ(Send(body, token)["errcode"], 82003);
}

TEST_F(SimulatorTest, PartyReachesSubDepartmentsAndUnlicensedUsersAreReported) {
  json j = Send(
      {{"toparty", "1"}, {"msgtype", "text"}, {"agentid", kAgent}, {"text", {{"content", "x"}}}},
      Token());
  EXPECT_EQ(j["errcode"], 0);
  EXPECT_EQ(j["unlicenseduser"], "zhaoliu");
  json delivered = Messages()[0]["touser"];
  EXPECT_EQ(delivered.size(), 3u);
  EXPECT_THAT(delivered.get<std::vector<std::string>>(),
              testing::UnorderedElementsAre("zhangsan", "lisi", "wangwu"));
}

TEST_F(SimulatorTest, TagsExpandToUsersAndDepartments) {
  const std::string token = Token();
  Send({{"totag", "2"}, {"msgtype", "text"}, {"agentid", kAgent}, {"text", {{"content", "x"}}}},
       token);
  EXPECT_EQ(Messages()[0]["touser"], json({"wangwu"}));
  // A user named twice (directly and through a tag) receives one copy.
  Send({{"touser", "lisi"},
        {"totag", "1"},
        {"msgtype", "text"},
        {"agentid", kAgent},
        {"text", {{"content", "y"}}}},
       token);
  EXPECT_EQ(Messages()[1]["touser"], json({"lisi", "zhangsan"}));
}

TEST_F(SimulatorTest, AtAllReachesTheVisibleRangeAndIgnoresPartyAndTag) {
  Config config = DefaultConfig();
  config.apps[0].visible_departments = {2};
  Start(config);
  json j = Send({{"touser", "@all"},
                 {"toparty", "99"},
                 {"msgtype", "text"},
                 {"agentid", kAgent},
                 {"text", {{"content", "x"}}}},
                Token());
  EXPECT_EQ(j["errcode"], 0);
  EXPECT_EQ(j.value("invalidparty", ""), "");
  EXPECT_EQ(Messages()[0]["touser"], json({"zhangsan", "lisi"}));
}

TEST_F(SimulatorTest, UsersOutsideTheVisibleRangeAreInvalid) {
  Config config = DefaultConfig();
  config.apps[0].visible_users = {"zhangsan"};
  Start(config);
  json j = Send({{"touser", "zhangsan|wangwu"},
                 {"toparty", "3"},
                 {"msgtype", "text"},
                 {"agentid", kAgent},
                 {"text", {{"content", "x"}}}},
                Token());
  EXPECT_EQ(j["errcode"], 0);
  EXPECT_EQ(j["invaliduser"], "wangwu");
  EXPECT_EQ(j["invalidparty"], "3");
}

TEST_F(SimulatorTest, IntegerPartyIsAcceptedWithAWarningAndArraysAreRejected) {
  const std::string token = Token();
  json body = {
      {"toparty", 2}, {"msgtype", "text"}, {"agentid", kAgent}, {"text", {{"content", "x"}}}};
  json j = Send(body, token);
  EXPECT_EQ(j["errcode"], 0);
  EXPECT_EQ(j["errmsg"], "ok. Warning: wrong json format. ");
  body["toparty"] = json::array({2});
  json bad = Send(body, token);
  EXPECT_EQ(bad["errcode"], 40066);
  EXPECT_THAT(bad["errmsg"].get<std::string>(),
              StartsWith("Warning: wrong json format. invalid party list"));
}

// ----- message/send: content -------------------------------------------------------------------

TEST_F(SimulatorTest, TextOver2048BytesIsTruncatedAtTheByteLimit) {
  const std::string token = Token();
  const std::string exact(2048, 'a');
  EXPECT_EQ(SendText("zhangsan", exact, token)["errcode"], 0);
  EXPECT_EQ(Messages()[0]["truncated"], false);
  // 2047 ASCII bytes then a 3-byte character: the raw cut splits it.
  const std::string over = std::string(2047, 'a') + "告";
  EXPECT_EQ(SendText("zhangsan", over, token)["errcode"], 0);
  json m = Messages()[1];
  EXPECT_EQ(m["truncated"], true);
  // The stored copy is 2048 bytes ending in a broken character; JSON cannot carry invalid
  // UTF-8, so the inspection API shows the broken tail as U+FFFD.
  EXPECT_EQ(m["content"]["content"], std::string(2047, 'a') + "\xEF\xBF\xBD");
  EXPECT_EQ(sim_->GetCounts().truncated, 1);
}

TEST_F(SimulatorTest, Utf8SafeTruncationCutsBeforeTheCharacter) {
  Start("utf8_safe_truncation: true\n");
  EXPECT_EQ(SendText("zhangsan", std::string(2047, 'a') + "告", Token())["errcode"], 0);
  EXPECT_EQ(Messages()[0]["content"]["content"], std::string(2047, 'a'));
}

TEST_F(SimulatorTest, MarkdownOver2048BytesIs45002OrTruncatedBySwitch) {
  json body = {{"touser", "zhangsan"},
               {"msgtype", "markdown"},
               {"agentid", kAgent},
               {"markdown", {{"content", std::string(2048, 'm')}}}};
  EXPECT_EQ(Send(body, Token())["errcode"], 0);
  body["markdown"]["content"] = std::string(2049, 'm');
  json j = Send(body, Token());
  EXPECT_EQ(j["errcode"], 45002);
  EXPECT_THAT(j["errmsg"].get<std::string>(), StartsWith("content size out of limit, hint: "));
  Start("app_markdown_over_limit: truncate\n");
  EXPECT_EQ(Send(body, Token())["errcode"], 0);
  EXPECT_EQ(Messages()[0]["content"]["content"].get<std::string>().size(), 2048u);
}

TEST_F(SimulatorTest, EmptyContentAndUnknownMsgtype) {
  const std::string token = Token();
  EXPECT_EQ(SendText("zhangsan", "", token)["errcode"], 44004);
  json j = Send({{"touser", "zhangsan"}, {"msgtype", "telegram"}, {"agentid", kAgent}}, token);
  EXPECT_EQ(j["errcode"], 40008);
  EXPECT_THAT(j["errmsg"].get<std::string>(), StartsWith("invalid message type, hint: "));
}

TEST_F(SimulatorTest, TextcardTruncatesByCharactersAndNeedsItsFields) {
  const std::string token = Token();
  std::string title;
  for (int i = 0; i < 130; ++i) title += "告";
  json body = {{"touser", "zhangsan"},
               {"msgtype", "textcard"},
               {"agentid", kAgent},
               {"textcard", {{"title", title}, {"description", "d"}, {"url", "https://x"}}}};
  EXPECT_EQ(Send(body, token)["errcode"], 0);
  EXPECT_EQ(Messages()[0]["content"]["title"].get<std::string>().size(), 128u * 3);
  body["textcard"].erase("description");
  EXPECT_EQ(Send(body, token)["errcode"], 41033);
}

TEST_F(SimulatorTest, NewsArticleLimitsAndSafe) {
  const std::string token = Token();
  json article = {{"title", "t"}, {"url", "https://x"}};
  json body = {{"touser", "zhangsan"},
               {"msgtype", "news"},
               {"agentid", kAgent},
               {"news", {{"articles", json::array()}}}};
  for (int i = 0; i < 8; ++i) body["news"]["articles"].push_back(article);
  EXPECT_EQ(Send(body, token)["errcode"], 0);
  body["news"]["articles"].push_back(article);
  EXPECT_EQ(Send(body, token)["errcode"], 45008);
  body["news"]["articles"] = json::array({article});
  body["safe"] = 1;
  EXPECT_EQ(Send(body, token)["errcode"], 40074);
}

TEST_F(SimulatorTest, InteractiveCardsGetAResponseCode) {
  json j = Send({{"touser", "zhangsan"},
                 {"msgtype", "template_card"},
                 {"agentid", kAgent},
                 {"template_card", {{"card_type", "button_interaction"}}}},
                Token());
  EXPECT_EQ(j["errcode"], 0);
  EXPECT_TRUE(j.contains("response_code"));
  json plain = SendText("zhangsan", "x", Token());
  EXPECT_FALSE(plain.contains("response_code"));
}

// ----- message/send: rate limits and duplicate check ---------------------------------------

TEST_F(SimulatorTest, ThirtyFirstMessageInAMinuteIsDroppedSilently) {
  const std::string token = Token();
  for (int i = 0; i < 30; ++i) ASSERT_EQ(SendText("zhangsan|lisi", "x", token)["errcode"], 0);
  clock_.Advance(absl::Seconds(60) - absl::Milliseconds(1));
  json j = SendText("zhangsan", "dropped", token);
  EXPECT_EQ(j["errcode"], 0);  // silent: the caller cannot tell
  EXPECT_EQ(j["invaliduser"], "");
  EXPECT_EQ(Messages("touser=zhangsan").size(), 30u);
  EXPECT_EQ(Messages().back()["dropped"], json({"zhangsan"}));
  EXPECT_EQ(sim_->GetCounts().dropped, 1);
  clock_.Advance(absl::Milliseconds(1));
  SendText("zhangsan", "allowed again", token);
  EXPECT_EQ(Messages("touser=zhangsan").size(), 31u);
  json stats = Parse(Raw("GET", "/sim/stats", ""));
  EXPECT_EQ(stats["recipients"]["zhangsan"]["delivered"], 31);
  EXPECT_EQ(stats["recipients"]["zhangsan"]["dropped"], 1);
}

TEST_F(SimulatorTest, OnlyTheLimitedRecipientIsDropped) {
  const std::string token = Token();
  for (int i = 0; i < 30; ++i) SendText("zhangsan", "x", token);
  SendText("zhangsan|lisi", "y", token);
  EXPECT_EQ(Messages().back()["touser"], json({"lisi"}));
  EXPECT_EQ(Messages().back()["dropped"], json({"zhangsan"}));
}

TEST_F(SimulatorTest, MemberExcessCanAnswer45009Instead) {
  Start("member_excess: error\n");
  const std::string token = Token();
  for (int i = 0; i < 30; ++i) SendText("zhangsan", "x", token);
  json j = SendText("zhangsan|lisi", "y", token);
  EXPECT_EQ(j["errcode"], 45009);
  EXPECT_THAT(j["errmsg"].get<std::string>(), StartsWith("api freq out of limit, hint: "));
  EXPECT_EQ(Messages().size(), 30u);
}

TEST_F(SimulatorTest, ThousandPerHourPerMember) {
  const std::string token = Token();
  for (int i = 0; i < 1000; ++i) {
    SendText("zhangsan", "x", token);
    clock_.Advance(absl::Seconds(3));  // 20 a minute: under the minute limit
  }
  EXPECT_EQ(Messages("touser=zhangsan").size(), 1000u);  // spans 50 minutes
  clock_.Advance(absl::Minutes(5));
  SendText("zhangsan", "x", token);  // 55 minutes after the first
  EXPECT_EQ(Messages("touser=zhangsan").size(), 1000u);
  clock_.Advance(absl::Minutes(5));  // the first ones left the hour
  SendText("zhangsan", "x", token);
  EXPECT_EQ(Messages("touser=zhangsan").size(), 1001u);
}

TEST_F(SimulatorTest, RateLimitsCanBeSwitchedOff) {
  Start("rate_limits: false\n");
  const std::string token = Token();
  for (int i = 0; i < 100; ++i) SendText("zhangsan", "x", token);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(RobotMarkdown("m")["errcode"], 0);
  EXPECT_EQ(sim_->GetCounts().deliveries, 140);
  EXPECT_EQ(sim_->GetCounts().dropped, 0);
}

TEST_F(SimulatorTest, RateLimitsSwitchAtRuntimeOverHttp) {
  json r = Parse(Raw("POST", "/sim/config", "", R"({"rate_limits": false})"));
  EXPECT_EQ(r["ok"], true);
  EXPECT_FALSE(sim_->GetConfig().rate_limits);
  Reply bad = Raw("POST", "/sim/config", "", R"({"rate_limit": false})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(bad.body, HasSubstr("rate_limit"));
}

TEST_F(SimulatorTest, DailyPersonTimesQuotaIs45009) {
  Start("account_limit: 1\nmember_per_minute: 1000\n");  // 200 person-times a day
  const std::string token = Token();
  for (int i = 0; i < 100; ++i) ASSERT_EQ(SendText("zhangsan|lisi", "x", token)["errcode"], 0);
  EXPECT_EQ(SendText("zhangsan", "x", token)["errcode"], 45009);
  // The quota day is China's natural day (UTC+8).
  const absl::Time now = clock_.Now();
  const int64_t day = (absl::ToUnixSeconds(now) + 8 * 3600) / 86400;
  clock_.Set(absl::FromUnixSeconds((day + 1) * 86400 - 8 * 3600));
  EXPECT_EQ(SendText("zhangsan", "x", Token())["errcode"], 0);
}

TEST_F(SimulatorTest, DuplicateCheckSuppressesTheSameRequestInsideTheInterval) {
  const std::string token = Token();
  json body = {{"touser", "zhangsan"},        {"msgtype", "text"},
               {"agentid", kAgent},           {"text", {{"content", "once"}}},
               {"enable_duplicate_check", 1}, {"duplicate_check_interval", 60}};
  EXPECT_EQ(Send(body, token)["errcode"], 0);
  clock_.Advance(absl::Seconds(59));
  json dup = Send(body, token);
  EXPECT_EQ(dup["errcode"], 0);
  EXPECT_TRUE(dup.contains("msgid"));
  EXPECT_EQ(Messages().size(), 1u);
  json all = Parse(Raw("GET", "/sim/messages", ""));
  ASSERT_EQ(all["suppressed_duplicates"].size(), 1u);
  EXPECT_EQ(all["suppressed_duplicates"][0]["duplicate_of"], 1);
  EXPECT_EQ(all["counts"]["duplicates_suppressed"], 1);
  clock_.Advance(absl::Seconds(1));
  Send(body, token);
  EXPECT_EQ(Messages().size(), 2u);
}

TEST_F(SimulatorTest, WithoutDuplicateCheckOrWithOtherContentBothAreDelivered) {
  const std::string token = Token();
  json body = {{"touser", "zhangsan"},
               {"msgtype", "text"},
               {"agentid", kAgent},
               {"text", {{"content", "a"}}}};
  Send(body, token);
  Send(body, token);
  body["enable_duplicate_check"] = 1;
  Send(body, token);
  body["text"]["content"] = "b";
  Send(body, token);
  EXPECT_EQ(Messages().size(), 4u);
}

TEST_F(SimulatorTest, DuplicateIntervalDefaultsTo1800AndIsCappedAt4Hours) {
  const std::string token = Token();
  json body = {{"touser", "zhangsan"},
               {"msgtype", "text"},
               {"agentid", kAgent},
               {"text", {{"content", "a"}}},
               {"enable_duplicate_check", 1}};
  Send(body, token);
  clock_.Advance(absl::Seconds(1799));
  Send(body, token);
  EXPECT_EQ(Messages().size(), 1u);
  clock_.Advance(absl::Seconds(1));
  Send(body, Token());
  EXPECT_EQ(Messages().size(), 2u);
  body["duplicate_check_interval"] = 999999;
  Send(body, Token());
  clock_.Advance(absl::Hours(4));
  Send(body, Token());
  EXPECT_EQ(Messages().size(), 4u);
  EXPECT_EQ(Messages().back()["duplicate_check_interval"], 14400);
}

// ----- webhook/send ------------------------------------------------------------------------

TEST_F(SimulatorTest, RobotTextIsRecordedWithMentions) {
  json j = Robot({{"msgtype", "text"},
                  {"text",
                   {{"content", "hi <@zhangsan> and <@lisi>"},
                    {"mentioned_list", {"wangwu", "@all"}},
                    {"mentioned_mobile_list", {"13800001111"}}}}});
  EXPECT_EQ(j, json({{"errcode", 0}, {"errmsg", "ok"}}));
  json m = Messages("robot=sim-robot-key-1")[0];
  EXPECT_EQ(m["endpoint"], "webhook/send");
  EXPECT_EQ(m["robot"], kRobot);
  EXPECT_EQ(m["mentioned_list"], json({"wangwu", "@all"}));
  EXPECT_EQ(m["mentioned_mobile_list"], json({"13800001111"}));
  EXPECT_EQ(m["at_userids"], json({"zhangsan", "lisi"}));
  EXPECT_EQ(Messages("robot=sim-robot-key-2").size(), 0u);
}

TEST_F(SimulatorTest, RobotKeyErrors) {
  json body = {{"msgtype", "text"}, {"text", {{"content", "x"}}}};
  json j = Robot(body, "00000000-0000-0000-0000-000000000000");
  EXPECT_EQ(j["errcode"], 93000);
  EXPECT_THAT(j["errmsg"].get<std::string>(), StartsWith("invalid webhook url, hint: ["));
  EXPECT_EQ(Parse(Raw("POST", "/cgi-bin/webhook/send", "", body.dump()))["errcode"], 93000);
  Config config = DefaultConfig();
  config.robots[0].enabled = false;
  Start(config);
  EXPECT_EQ(Robot(body)["errcode"], 93004);
}

TEST_F(SimulatorTest, RobotMarkdownOver4096BytesIs40058) {
  EXPECT_EQ(RobotMarkdown(std::string(4096, 'm'))["errcode"], 0);
  json j = RobotMarkdown(std::string(4097, 'm'));
  EXPECT_EQ(j["errcode"], 40058);
  EXPECT_THAT(j["errmsg"].get<std::string>(),
              StartsWith("markdown.content exceed max length 4096. invalid Request Parameter, "
                         "hint: ["));
  json v2 = RobotMarkdown(std::string(4097, 'm'), "markdown_v2");
  EXPECT_THAT(v2["errmsg"].get<std::string>(),
              StartsWith("markdown_v2.content exceed max length 4096."));
  EXPECT_EQ(Messages().size(), 1u);
}

TEST_F(SimulatorTest, RobotTextLimitIsConfigurable) {
  json body = {{"msgtype", "text"}, {"text", {{"content", std::string(2049, 't')}}}};
  json j = Robot(body);
  EXPECT_EQ(j["errcode"], 40058);
  EXPECT_THAT(j["errmsg"].get<std::string>(), StartsWith("text.content exceed max length 2048."));
  Start("robot_text_max_bytes: 5120\n");
  EXPECT_EQ(Robot(body)["errcode"], 0);
}

TEST_F(SimulatorTest, RobotContentErrors) {
  EXPECT_EQ(Robot({{"msgtype", "text"}, {"text", {{"content", ""}}}})["errcode"], 44004);
  EXPECT_EQ(Robot({{"msgtype", "textcard"}})["errcode"], 40008);
  EXPECT_EQ(Robot({{"msgtype", "news"}, {"news", {{"articles", {{{"title", "t"}}}}}}})["errcode"],
            40058);  // robot news needs a url
}

TEST_F(SimulatorTest, RobotAllowsTwentyPerMinuteSliding) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(RobotMarkdown("m")["errcode"], 0);
    clock_.Advance(absl::Seconds(1));
  }
  json j = RobotMarkdown("m");  // t=20s: 20 in the last minute
  EXPECT_EQ(j["errcode"], 45009);
  EXPECT_THAT(j["errmsg"].get<std::string>(), StartsWith("api freq out of limit, hint: "));
  EXPECT_EQ(
      Robot({{"msgtype", "text"}, {"text", {{"content", "x"}}}}, "sim-robot-key-2")["errcode"],
      0);  // per key
  clock_.Advance(absl::Seconds(40) - absl::Milliseconds(1));
  EXPECT_EQ(RobotMarkdown("m")["errcode"], 45009);
  clock_.Advance(absl::Milliseconds(1));  // the first left the window
  EXPECT_EQ(RobotMarkdown("m")["errcode"], 0);
  EXPECT_EQ(RobotMarkdown("m")["errcode"], 45009);
}

// ----- faults ------------------------------------------------------------------------------

TEST_F(SimulatorTest, ErrcodeFaultsAnswerTheNextNRequests) {
  const std::string token = Token();
  for (int errcode : {-1, 45009, 45033, 60020, 81026}) {
    Fault fault;
    fault.endpoint = "message/send";
    fault.count = 2;
    fault.errcode = errcode;
    sim_->AddFault(fault);
    EXPECT_EQ(SendText("zhangsan", "x", token)["errcode"], errcode);
    EXPECT_EQ(SendText("zhangsan", "x", token)["errcode"], errcode);
    EXPECT_EQ(SendText("zhangsan", "x", token)["errcode"], 0) << errcode;
  }
  EXPECT_EQ(Messages().size(), 5u);
  EXPECT_EQ(sim_->GetCounts().faults_injected, 10);
}

TEST_F(SimulatorTest, UntrustedIpFaultNamesTheCallerIp) {
  const std::string token = Token();
  Fault fault;
  fault.endpoint = "message/send";
  fault.count = -1;
  fault.errcode = 60020;
  sim_->AddFault(fault);
  EXPECT_EQ(Token(), token);  // gettoken is not affected
  Reply reply = sim_->Handle(Request{"POST", "/cgi-bin/message/send", "access_token=" + token,
                                     R"({"touser":"zhangsan","msgtype":"text","agentid":1000002,
                                         "text":{"content":"x"}})",
                                     "10.1.2.3"});
  json j = Parse(reply);
  EXPECT_EQ(j["errcode"], 60020);
  EXPECT_THAT(j["errmsg"].get<std::string>(),
              testing::MatchesRegex("not allow to access from your ip, hint: \\[[0-9]+\\], from "
                                    "ip: 10\\.1\\.2\\.3, more info at .*\\?e=60020"));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(SendText("zhangsan", "x", token)["errcode"], 60020);
  sim_->ClearFaults();
  EXPECT_EQ(SendText("zhangsan", "x", token)["errcode"], 0);
}

TEST_F(SimulatorTest, HttpStatusFaultDeliversNothing) {
  const std::string token = Token();
  Fault fault;
  fault.http_status = 502;
  sim_->AddFault(fault);
  Reply reply = SendRaw(json{{"touser", "zhangsan"},
                             {"msgtype", "text"},
                             {"agentid", kAgent},
                             {"text", {{"content", "x"}}}}
                            .dump(),
                        token);
  EXPECT_EQ(reply.status, 502);
  EXPECT_THAT(reply.body, HasSubstr("<h1>502</h1>"));
  EXPECT_EQ(Messages().size(), 0u);
  EXPECT_EQ(SendText("zhangsan", "x", token)["errcode"], 0);
}

TEST_F(SimulatorTest, DelayFaultAnswersLateButDelivers) {
  const std::string token = Token();
  Fault fault;
  fault.endpoint = "message/send";
  fault.delay = absl::Seconds(3);
  sim_->AddFault(fault);
  Reply slow = SendRaw(json{{"touser", "zhangsan"},
                            {"msgtype", "text"},
                            {"agentid", kAgent},
                            {"text", {{"content", "x"}}}}
                           .dump(),
                       token);
  EXPECT_EQ(slow.delay, absl::Seconds(3));
  EXPECT_EQ(Parse(slow)["errcode"], 0);
  EXPECT_EQ(Messages().size(), 1u);  // delivered: a client that times out may resend
  Reply fast = SendRaw(json{{"touser", "zhangsan"},
                            {"msgtype", "text"},
                            {"agentid", kAgent},
                            {"text", {{"content", "y"}}}}
                           .dump(),
                       token);
  EXPECT_EQ(fast.delay, absl::ZeroDuration());
}

TEST_F(SimulatorTest, FaultsOverHttpWithEndpointFilter) {
  json r = Parse(Raw("POST", "/sim/faults", "",
                     R"([{"endpoint":"webhook/send","errcode":-1,"count":1},
                         {"endpoint":"gettoken","http_status":503}])"));
  EXPECT_EQ(r["ids"].size(), 2u);
  EXPECT_EQ(Parse(Raw("GET", "/sim/faults", ""))["faults"].size(), 2u);
  EXPECT_EQ(Raw("GET", "/cgi-bin/gettoken", "corpid=ww-sim-corp&corpsecret=x").status, 503);
  json j = RobotMarkdown("m");
  EXPECT_EQ(j["errcode"], -1);
  EXPECT_THAT(j["errmsg"].get<std::string>(), StartsWith("system busy, hint: "));
  EXPECT_EQ(RobotMarkdown("m")["errcode"], 0);
  EXPECT_EQ(Raw("POST", "/sim/faults", "", R"({"errcode":0})").status, 400);
  EXPECT_EQ(Raw("POST", "/sim/faults", "", R"({"errcode":1,"colour":"red"})").status, 400);
}

TEST_F(SimulatorTest, ConcurrencyLimitAnswers45033WhileTicketsAreHeld) {
  Start("robot_max_in_flight: 1\napp_max_in_flight: 1\n");
  Fault slow;
  slow.delay = absl::Seconds(1);
  slow.count = 2;
  sim_->AddFault(slow);
  const json body = {{"msgtype", "text"}, {"text", {{"content", "x"}}}};
  Reply first = Raw("POST", "/cgi-bin/webhook/send", std::string("key=") + kRobot, body.dump());
  ASSERT_EQ(Parse(first)["errcode"], 0);
  ASSERT_NE(first.in_flight, nullptr);
  EXPECT_EQ(Robot(body)["errcode"], 45033);  // the first is still in flight
  first.in_flight.reset();                   // the transport sent it
  EXPECT_EQ(Robot(body)["errcode"], 0);

  const std::string token = Token();
  Reply app_first = SendRaw(json{{"touser", "zhangsan"},
                                 {"msgtype", "text"},
                                 {"agentid", kAgent},
                                 {"text", {{"content", "x"}}}}
                                .dump(),
                            token);
  EXPECT_EQ(SendText("lisi", "x", token)["errcode"], 45033);
  app_first.in_flight.reset();
  EXPECT_EQ(SendText("lisi", "x", token)["errcode"], 0);
}

// ----- control and inspection --------------------------------------------------------------

TEST_F(SimulatorTest, MessagesCanBeFilteredAndPagedBySeq) {
  const std::string token = Token();
  SendText("zhangsan", "1", token);
  RobotMarkdown("2");
  SendText("lisi", "3", token);
  EXPECT_EQ(Messages("since=1").size(), 2u);
  EXPECT_EQ(Messages("since=3").size(), 0u);
  EXPECT_EQ(Messages("agentid=1000002").size(), 2u);
  EXPECT_EQ(Messages("msgtype=markdown").size(), 1u);
  EXPECT_EQ(Messages("touser=lisi")[0]["content"]["content"], "3");
}

TEST_F(SimulatorTest, ResetForgetsMessagesAndFaultsButKeepsTokens) {
  const std::string token = Token();
  SendText("zhangsan", "x", token);
  Fault fault;
  fault.errcode = -1;
  fault.count = -1;
  sim_->AddFault(fault);
  EXPECT_EQ(Parse(Raw("POST", "/sim/reset", ""))["ok"], true);
  EXPECT_EQ(Messages().size(), 0u);
  EXPECT_EQ(sim_->GetCounts().messages, 0);
  EXPECT_EQ(SendText("zhangsan", "x", token)["errcode"], 0);
  Parse(Raw("POST", "/sim/reset", "", R"({"tokens": true})"));
  EXPECT_EQ(SendText("zhangsan", "x", token)["errcode"], 40014);
}

TEST_F(SimulatorTest, ControlApiRejectsBadRequests) {
  EXPECT_EQ(Raw("POST", "/sim/revoke-token", "", R"({"errcode": 1})").status, 400);
  EXPECT_EQ(Raw("POST", "/sim/revoke-token", "", R"({"access_token": "nope"})").status, 404);
  EXPECT_EQ(Raw("POST", "/sim/reset", "", R"({"tokens": "yes"})").status, 400);
  EXPECT_EQ(Raw("POST", "/sim/messages", "").status, 405);
  EXPECT_EQ(Raw("GET", "/sim/nope", "").status, 404);
  json config = Parse(Raw("GET", "/sim/config", ""));
  EXPECT_EQ(config["corp_id"], kCorp);
  EXPECT_EQ(config["rate_limits"], true);
}

}  // namespace
}  // namespace wecom_notify::wecom_sim
