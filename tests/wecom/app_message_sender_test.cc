#include "libs/wecom/app_message_sender.h"

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/wecom/limits.h"
#include "tests/wecom/fake_wecom.h"
#include "tests/wecom/log_capture.h"

namespace wecom_notify::wecom {
namespace {

using testing::FakeWeCom;
using ::testing::HasSubstr;
using testing::LogCapture;
using ::testing::Not;
using Json = nlohmann::json;

AppConfig Config() {
  AppConfig c;
  c.credentials.api_url = "https://wecom.test/cgi-bin/";
  c.credentials.corp_id = "ww0001";
  c.credentials.secret = "APP-SECRET-XYZ";
  c.agent_id = 1000002;
  return c;
}

Recipients Users(std::vector<std::string> users) {
  Recipients r;
  r.users = std::move(users);
  return r;
}

class AppMessageSenderTest : public ::testing::Test {
 protected:
  std::unique_ptr<AppMessageSender> Make(Recipients to, RateLimiter* limiter = nullptr,
                                         WeComMetrics* metrics = nullptr) {
    AppMessageSender::Deps deps;
    deps.transport = &fake_;
    deps.tokens = &tokens_;
    deps.clock = &clock_;
    deps.limiter = limiter;
    deps.metrics = metrics;
    return std::make_unique<AppMessageSender>(Config(), std::move(to), deps);
  }
  std::vector<Json> SentBodies() {
    std::vector<Json> out;
    for (const auto& r : fake_.Requests("/message/send?"))
      out.push_back(Json::parse(r.request.body));
    return out;
  }

  SimulatedClock clock_;
  FakeWeCom fake_{clock_};
  TokenCache tokens_{fake_, clock_};
};

TEST_F(AppMessageSenderTest, BuildsWeComJsonWithRawUtf8AndIntegerAgentId) {
  auto sender = Make(Users({"zhangsan", "lisi"}));
  ASSERT_TRUE(sender->Send(MessageFormat::kMarkdown, "**告警** 磁盘将满", nullptr).ok());
  const auto requests = fake_.Requests("/message/send?");
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_THAT(requests[0].request.url,
              ::testing::EndsWith("cgi-bin/message/send?access_token=tok-1"));
  const std::string& body = requests[0].request.body;
  EXPECT_THAT(body, HasSubstr("告警"));      // raw UTF-8 ...
  EXPECT_THAT(body, Not(HasSubstr("\\u")));  // ... never \uXXXX
  const Json j = Json::parse(body);
  EXPECT_EQ(j["touser"], "zhangsan|lisi");
  EXPECT_FALSE(j.contains("toparty"));
  EXPECT_TRUE(j["agentid"].is_number_integer());
  EXPECT_EQ(j["agentid"], 1000002);
  EXPECT_EQ(j["msgtype"], "markdown");
  EXPECT_EQ(j["markdown"]["content"], "**告警** 磁盘将满");
  EXPECT_EQ(j["enable_duplicate_check"], 1);
  EXPECT_EQ(j["duplicate_check_interval"], 1800);
}

TEST_F(AppMessageSenderTest, SplitsRecipientsAboveWeComCaps) {
  Recipients to;
  for (int i = 0; i < 2500; ++i) to.users.push_back(absl::StrCat("u", i));
  for (int i = 0; i < 150; ++i) to.parties.push_back(absl::StrCat(i + 1));
  to.tags = {"7"};
  auto sender = Make(to);
  SendReport report;
  ASSERT_TRUE(sender->Send(MessageFormat::kText, "hi", &report).ok());
  const auto bodies = SentBodies();
  ASSERT_EQ(bodies.size(), 3u);
  EXPECT_EQ(report.requests.size(), 3u);
  const auto count = [](const Json& j, const char* f) -> size_t {
    if (!j.contains(f)) return 0;
    return std::vector<std::string>(absl::StrSplit(j[f].get<std::string>(), '|')).size();
  };
  EXPECT_EQ(count(bodies[0], "touser"), 1000u);
  EXPECT_EQ(count(bodies[1], "touser"), 1000u);
  EXPECT_EQ(count(bodies[2], "touser"), 500u);
  EXPECT_EQ(count(bodies[0], "toparty"), 100u);
  EXPECT_EQ(count(bodies[1], "toparty"), 50u);
  EXPECT_EQ(count(bodies[2], "toparty"), 0u);
  EXPECT_EQ(count(bodies[0], "totag"), 1u);
  EXPECT_EQ(count(bodies[1], "totag"), 0u);
}

TEST_F(AppMessageSenderTest, AtAllIgnoresOtherRecipients) {
  Recipients to;
  to.users = {"@all", "bob"};
  to.parties = {"1"};
  auto sender = Make(to);
  ASSERT_TRUE(sender->Send(MessageFormat::kText, "hi", nullptr).ok());
  const auto bodies = SentBodies();
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_EQ(bodies[0]["touser"], "@all");
  EXPECT_FALSE(bodies[0].contains("toparty"));
}

TEST_F(AppMessageSenderTest, RefreshesTokenOnceOn40014AndResends) {
  auto sender = Make(Users({"bob"}));
  ASSERT_TRUE(sender->Send(MessageFormat::kText, "one", nullptr).ok());
  fake_.RevokeAllTokens();
  SendReport report;
  ASSERT_TRUE(sender->Send(MessageFormat::kText, "two", &report).ok());
  EXPECT_EQ(report.token_refreshes, 1);
  EXPECT_EQ(fake_.gettoken_calls(), 2);
  ASSERT_EQ(report.requests.size(), 1u);
  EXPECT_EQ(report.requests[0].attempts, 2);
}

TEST_F(AppMessageSenderTest, RefreshesOn42001Too) {
  auto sender = Make(Users({"bob"}));
  fake_.ScriptSend(FakeWeCom::Errcode(42001, "access_token expired"));
  SendReport report;
  ASSERT_TRUE(sender->Send(MessageFormat::kText, "x", &report).ok());
  EXPECT_EQ(report.token_refreshes, 1);
  EXPECT_EQ(fake_.gettoken_calls(), 2);
}

TEST_F(AppMessageSenderTest, TokenRejectedTwiceIsFinalNotALoop) {
  auto sender = Make(Users({"bob"}));
  for (int i = 0; i < 10; ++i) fake_.ScriptSend(FakeWeCom::Errcode(40014, "invalid access_token"));
  SendReport report;
  const absl::Status s = sender->Send(MessageFormat::kText, "x", &report);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(fake_.Requests("/message/send?").size(), 2u);
  EXPECT_EQ(fake_.gettoken_calls(), 2);
}

TEST_F(AppMessageSenderTest, TokenRevokedMidBurstCausesOneRefetch) {
  auto sender = Make(Users({"bob"}));
  ASSERT_TRUE(sender->Send(MessageFormat::kText, "before", nullptr).ok());
  fake_.RevokeAllTokens();  // WeCom drops the token while 32 sends hold it
  fake_.set_gettoken_delay(absl::Milliseconds(50));
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 32; ++i) {
    threads.emplace_back([&, i] {
      if (sender->Send(MessageFormat::kText, absl::StrCat("m", i), nullptr).ok()) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 32);
  // The first fetch plus exactly one after the revocation, however many sends saw 40014.
  EXPECT_EQ(fake_.gettoken_calls(), 2);
  int with_new_token = 0;
  for (const auto& r : fake_.Requests("/message/send?")) {
    if (absl::EndsWith(r.request.url, "access_token=tok-2")) ++with_new_token;
  }
  EXPECT_EQ(with_new_token, 32);
}

TEST_F(AppMessageSenderTest, RetriesSystemBusyWithBackoffThenSucceeds) {
  auto sender = Make(Users({"bob"}));
  for (int i = 0; i < 3; ++i) fake_.ScriptSend(FakeWeCom::Errcode(-1, "system busy"));
  const absl::Time start = clock_.Now();
  SendReport report;
  ASSERT_TRUE(sender->Send(MessageFormat::kText, "x", &report).ok());
  EXPECT_EQ(report.requests[0].attempts, 4);
  // Backoff 1 s, 2 s, 4 s, each jittered into [base/2, base].
  const absl::Duration waited = clock_.Now() - start;
  EXPECT_GE(waited, absl::Milliseconds(3500));
  EXPECT_LE(waited, absl::Seconds(7));
}

TEST_F(AppMessageSenderTest, SystemBusyGivesUpAfterThreeRetries) {
  auto sender = Make(Users({"bob"}));
  for (int i = 0; i < 10; ++i) fake_.ScriptSend(FakeWeCom::Errcode(-1, "system busy"));
  const absl::Status s = sender->Send(MessageFormat::kText, "x", nullptr);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(fake_.Requests("/message/send?").size(), 4u);
}

TEST_F(AppMessageSenderTest, FrequencyLimitWaitsAtLeastSixtySeconds) {
  auto sender = Make(Users({"bob"}));
  fake_.ScriptSend(FakeWeCom::Errcode(45009, "api freq out of limit"));
  const absl::Time start = clock_.Now();
  ASSERT_TRUE(sender->Send(MessageFormat::kText, "x", nullptr).ok());
  const auto sends = fake_.Requests("/message/send?");
  ASSERT_EQ(sends.size(), 2u);
  EXPECT_GE(sends[1].at - sends[0].at, absl::Seconds(60));
  EXPECT_GE(clock_.Now() - start, absl::Seconds(60));
}

TEST_F(AppMessageSenderTest, TransientTransportFailuresAreRetriedWithSameBody) {
  auto sender = Make(Users({"bob"}));
  fake_.ScriptSend(absl::DeadlineExceededError("timeout"));
  fake_.ScriptSend(HttpResponse{502, "<html>bad gateway</html>"});
  fake_.ScriptSend(absl::UnavailableError("connection reset"));
  fake_.ScriptSend(FakeWeCom::Errcode(45033, "api concurrent out of limit"));
  RetryPolicy policy;
  policy.max_attempts = 5;
  AppMessageSender::Deps deps{&fake_, &tokens_, &clock_, nullptr, nullptr};
  AppMessageSender patient(Config(), Users({"bob"}), deps, policy);
  ASSERT_TRUE(patient.Send(MessageFormat::kText, "x", nullptr).ok());
  const auto sends = fake_.Requests("/message/send?");
  ASSERT_EQ(sends.size(), 5u);
  // Same JSON each time, so WeCom's duplicate check hides a resend that had been delivered.
  for (const auto& r : sends) EXPECT_EQ(r.request.body, sends[0].request.body);
}

TEST_F(AppMessageSenderTest, UntrustedIpIsPermanentAndNamesTheIp) {
  auto sender = Make(Users({"bob"}));
  fake_.ScriptSend(FakeWeCom::Errcode(
      60020,
      "not allow to access from your ip, hint: [1], from ip: 203.0.113.7, more info at "
      "https://open.work.weixin.qq.com/devtool/query?e=60020"));
  SendReport report;
  const absl::Status s = sender->Send(MessageFormat::kText, "x", &report);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(s.message()), HasSubstr("add egress IP 203.0.113.7"));
  EXPECT_EQ(fake_.Requests("/message/send?").size(), 1u);  // no retry loop
  EXPECT_EQ(report.requests.at(0).errcode, 60020);
}

TEST_F(AppMessageSenderTest, PartialFailureIsOkAndReportedByNameInLogsAndMetrics) {
  prometheus::Registry registry;
  WeComMetrics metrics(registry);
  auto sender = Make(Users({"bob", "ghost", "eve"}), nullptr, &metrics);
  fake_.ScriptSend(FakeWeCom::Json(
      R"({"errcode":0,"errmsg":"ok","invaliduser":"ghost","unlicenseduser":"eve"})"));
  LogCapture logs;
  SendReport report;
  ASSERT_TRUE(sender->Send(MessageFormat::kText, "x", &report).ok());
  EXPECT_THAT(report.invalid.users, ::testing::ElementsAre("ghost"));
  EXPECT_THAT(report.invalid.unlicensed_users, ::testing::ElementsAre("eve"));
  EXPECT_EQ(report.requests.at(0).result_class(), ResultClass::kPartial);
  EXPECT_THAT(logs.text(), HasSubstr("invaliduser=[ghost]"));
  EXPECT_THAT(logs.text(), HasSubstr("unlicenseduser=[eve]"));
  const std::string exposition = prometheus::TextSerializer().Serialize(registry.Collect());
  EXPECT_THAT(
      exposition,
      HasSubstr(R"(wecom_notify_wecom_invalid_recipients_total{kind="user",recipient="ghost"} 1)"));
  EXPECT_THAT(exposition, HasSubstr(R"(kind="unlicensed_user",recipient="eve"} 1)"));
  EXPECT_THAT(
      exposition,
      HasSubstr(
          R"(wecom_notify_wecom_requests_total{endpoint="message_send",errcode="0",result="partial"} 1)"));
}

TEST_F(AppMessageSenderTest, AllRecipientsInvalidFailsButOtherBatchesStillGo) {
  Recipients to;
  for (int i = 0; i < 1500; ++i) to.users.push_back(absl::StrCat("u", i));
  auto sender = Make(to);
  fake_.ScriptSend(FakeWeCom::Json(
      R"({"errcode":81013,"errmsg":"user & party & tag all invalid","invaliduser":"u0"})"));
  SendReport report;
  const absl::Status s = sender->Send(MessageFormat::kText, "x", &report);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(report.requests.size(), 2u);
  EXPECT_EQ(report.requests[1].result_class(), ResultClass::kOk);
  EXPECT_THAT(report.invalid.users, ::testing::ElementsAre("u0"));
}

TEST_F(AppMessageSenderTest, RejectsOversizedContentWithoutSending) {
  auto sender = Make(Users({"bob"}));
  std::string content;
  while (content.size() < kAppTextMaxBytes) content += "告";  // 2049 bytes
  EXPECT_EQ(sender->Send(MessageFormat::kText, content, nullptr).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(fake_.requests().empty());
}

TEST_F(AppMessageSenderTest, PerMemberLimitQueuesInsteadOfDropping) {
  RateLimiter limiter(AppMessageLimits());
  auto sender = Make(Users({"bob"}), &limiter);
  const absl::Time t0 = clock_.Now();
  for (int i = 0; i < 75; ++i) {
    ASSERT_TRUE(sender->Send(MessageFormat::kText, absl::StrCat("m", i), nullptr).ok()) << i;
  }
  const auto sends = fake_.Requests("/message/send?");
  ASSERT_EQ(sends.size(), 75u);  // nothing lost
  // Never more than 30 in any 60 s window, and the queue moves as soon as the window allows.
  for (size_t i = 30; i < sends.size(); ++i) {
    EXPECT_GE(sends[i].at - sends[i - 30].at, absl::Minutes(1)) << i;
  }
  EXPECT_EQ(sends[29].at, t0);
  EXPECT_EQ(sends[30].at, t0 + absl::Minutes(1));
  EXPECT_EQ(sends[60].at, t0 + absl::Minutes(2));
}

TEST_F(AppMessageSenderTest, ALateArrivalPushesTheNextWindowBackSoWeComNeverSeesThirtyOne) {
  RateLimiter limiter(AppMessageLimits(), kArrivalGuard);
  auto sender = Make(Users({"bob"}), &limiter);
  // The first message needs 20 s to reach WeCom (a loaded host, a slow link); the rest are fast.
  fake_.QueueSendLatencies({absl::Seconds(20)});
  for (int i = 0; i < 61; ++i) {
    ASSERT_TRUE(sender->Send(MessageFormat::kText, absl::StrCat("m", i), nullptr).ok()) << i;
  }
  const auto sends = fake_.Requests("/message/send?");
  ASSERT_EQ(sends.size(), 61u);
  // Arrival = start + latency; WeCom counts arrivals in any 60 s: never more than 30.
  std::vector<absl::Time> arrivals;
  for (const auto& send : sends) arrivals.push_back(send.at);
  arrivals[0] += absl::Seconds(20);
  std::sort(arrivals.begin(), arrivals.end());
  for (size_t i = 30; i < arrivals.size(); ++i) {
    EXPECT_GT(arrivals[i] - arrivals[i - 30], absl::Minutes(1)) << i;
  }
}

TEST_F(AppMessageSenderTest, PerMemberHourlyLimitHolds) {
  RateLimiter limiter(AppMessageLimits());
  auto sender = Make(Users({"bob"}), &limiter);
  const absl::Time t0 = clock_.Now();
  for (int i = 0; i < 1001; ++i) {
    ASSERT_TRUE(sender->Send(MessageFormat::kText, "x", nullptr).ok());
  }
  const auto sends = fake_.Requests("/message/send?");
  ASSERT_EQ(sends.size(), 1001u);
  EXPECT_LT(sends[999].at, t0 + absl::Hours(1));
  EXPECT_GE(sends[1000].at, t0 + absl::Hours(1));
}

TEST_F(AppMessageSenderTest, LimitIsPerMemberSoOthersAreNotDelayed) {
  RateLimiter limiter(AppMessageLimits());
  auto bob = Make(Users({"bob"}), &limiter);
  auto alice = Make(Users({"alice"}), &limiter);
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(bob->Send(MessageFormat::kText, "x", nullptr).ok());
  const absl::Time before = clock_.Now();
  SendReport report;
  ASSERT_TRUE(alice->Send(MessageFormat::kText, "x", &report).ok());
  EXPECT_EQ(clock_.Now(), before);
  EXPECT_EQ(report.rate_limit_wait, absl::ZeroDuration());
}

TEST_F(AppMessageSenderTest, DailyQuotaStopsSendingWithAClearErrorAndResetsNextDay) {
  // account_limit 1: 200 person-times a day. 3 users + 1 department = 4 per message.
  prometheus::Registry registry;
  WeComMetrics metrics(registry);
  DailyQuota quota;
  AppConfig config = Config();
  config.account_limit = 1;
  AppMessageSender::Deps deps;
  deps.transport = &fake_;
  deps.tokens = &tokens_;
  deps.clock = &clock_;
  deps.metrics = &metrics;
  deps.quota = &quota;
  Recipients to = Users({"a", "b", "c"});
  to.parties = {"7"};
  AppMessageSender sender(config, to, deps);
  // Start at 23:00 China time (15:00 UTC).
  clock_.Set(absl::FromCivil(absl::CivilSecond(2026, 11, 25, 15, 0, 0), absl::UTCTimeZone()));
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(sender.Send(MessageFormat::kText, "x", nullptr).ok());
  EXPECT_EQ(quota.Used("app/ww0001/1000002", clock_.Now()), 200);
  const size_t sent = fake_.Requests("/message/send?").size();
  EXPECT_EQ(sent, 50u);

  const absl::Status s = sender.Send(MessageFormat::kText, "x", nullptr);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(s.message(), HasSubstr("200 of its 200 person-times"));
  EXPECT_THAT(s.message(), HasSubstr("account_limit 1 x 200"));
  EXPECT_THAT(s.message(), HasSubstr("resets at 2026-11-25 16:00:00 UTC"));
  EXPECT_EQ(fake_.Requests("/message/send?").size(), sent);  // nothing sent to be dropped
  const std::string exposition = prometheus::TextSerializer().Serialize(registry.Collect());
  EXPECT_THAT(exposition,
              HasSubstr("wecom_notify_wecom_daily_quota_exhausted_total{agent_id=\"1000002\"} 1"));

  // WeCom's day starts at 00:00 China time.
  clock_.Advance(absl::Minutes(59));
  EXPECT_EQ(sender.Send(MessageFormat::kText, "x", nullptr).code(),
            absl::StatusCode::kResourceExhausted);
  clock_.Advance(absl::Minutes(1));
  EXPECT_TRUE(sender.Send(MessageFormat::kText, "x", nullptr).ok());
  EXPECT_EQ(fake_.Requests("/message/send?").size(), sent + 1);
}

TEST_F(AppMessageSenderTest, DailyQuotaIsOnlyCountedWithoutAnAccountLimit) {
  DailyQuota quota;
  AppMessageSender::Deps deps;
  deps.transport = &fake_;
  deps.tokens = &tokens_;
  deps.clock = &clock_;
  deps.quota = &quota;
  AppMessageSender sender(Config(), Users({"a", "b"}), deps);
  for (int i = 0; i < 150; ++i) ASSERT_TRUE(sender.Send(MessageFormat::kText, "x", nullptr).ok());
  EXPECT_EQ(quota.Used("app/ww0001/1000002", clock_.Now()), 300);
}

TEST_F(AppMessageSenderTest, SecretsNeverReachLogsOrErrors) {
  LogCapture logs;
  std::vector<std::string> errors;
  // gettoken: transport failure quoting the URL (with corpsecret), then wrong secret.
  fake_.ScriptGetToken(absl::UnavailableError(
      "GET https://wecom.test/cgi-bin/gettoken?corpid=ww0001&corpsecret=APP-SECRET-XYZ: refused"));
  fake_.ScriptGetToken(FakeWeCom::Errcode(40001, "invalid credential"));
  RetryPolicy one_try;
  one_try.max_attempts = 1;
  AppMessageSender::Deps deps{&fake_, &tokens_, &clock_, nullptr, nullptr};
  AppMessageSender sender(Config(), Users({"bob"}), deps, one_try);
  errors.emplace_back(sender.Send(MessageFormat::kText, "x", nullptr).message());
  errors.emplace_back(sender.Send(MessageFormat::kText, "x", nullptr).message());
  clock_.Advance(absl::Minutes(10));  // past the wrong-secret cooldown
  // message/send: a transport error quoting the URL with the token.
  ASSERT_TRUE(tokens_.Get(Config().credentials).ok());
  fake_.ScriptSend(absl::UnavailableError(
      "POST https://wecom.test/cgi-bin/message/send?access_token=tok-1: connection reset"));
  errors.emplace_back(sender.Send(MessageFormat::kText, "x", nullptr).message());

  const std::string log = logs.text();
  EXPECT_THAT(log, HasSubstr("corpsecret=REDACTED"));  // the failures were logged ...
  EXPECT_THAT(log, HasSubstr("access_token=REDACTED"));
  for (const char* secret : {"APP-SECRET-XYZ", "tok-1"}) {  // ... without the secrets
    EXPECT_THAT(log, Not(HasSubstr(secret)));
    for (const auto& e : errors) EXPECT_THAT(e, Not(HasSubstr(secret)));
  }
}

}  // namespace
}  // namespace wecom_notify::wecom
