// Sends through CurlHttpTransport to the real WeCom simulator (services/wecom-sim) on 127.0.0.1
// and checks what the simulator recorded. Real time, real sockets; each test resets the sim.

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/wecom/app_message_sender.h"
#include "libs/wecom/curl_http_transport.h"
#include "libs/wecom/robot_sender.h"
#include "tests/testing/testing.h"
#include "tests/wecom/log_capture.h"

namespace wecom_notify::wecom {
namespace {

namespace tt = ::wecom_notify::testing;
using ::testing::HasSubstr;
using ::testing::Not;
using Json = nlohmann::json;

constexpr char kSecret[] = "sim-secret-1000002";
constexpr char kRobotKey[] = "sim-robot-key-1";

class SimIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const int port = tt::FreePort();
    base_ = absl::StrCat("http://127.0.0.1:", port);
    auto process = tt::Process::Start(
        {tt::BinPath("wecom-sim"), absl::StrCat("--web.listen-address=127.0.0.1:", port)},
        absl::StrCat(tt::MakeTempDir("wecom-sim"), "/sim.log"));
    ASSERT_TRUE(process.ok()) << process.status();
    sim_ = process->release();
    // The simulator prints "wecom-sim listening on 127.0.0.1:PORT" once it accepts connections.
    ASSERT_TRUE(tt::WaitFor(
        [] { return sim_->Output().find("wecom-sim listening on") != std::string::npos; },
        absl::Seconds(10)))
        << sim_->Output();
  }
  static void TearDownTestSuite() {
    if (sim_ != nullptr) sim_->Stop(SIGTERM);
    delete sim_;
    sim_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(sim_, nullptr);
    ASSERT_EQ(Sim("POST", "/sim/reset", R"({"tokens":true})").status, 200);
    ASSERT_EQ(Sim("POST", "/sim/config", R"({"rate_limits":true})").status, 200);
    auto transport = CurlHttpTransport::Create({});
    ASSERT_TRUE(transport.ok()) << transport.status();
    transport_ = *std::move(transport);
    tokens_ = std::make_unique<TokenCache>(*transport_, Clock::Real());
  }

  static tt::HttpResult Sim(const std::string& method, const std::string& path,
                            const std::string& body = "") {
    return tt::HttpRequest(method, base_ + path, body);
  }
  static Json Messages(const std::string& query = "") {
    return Json::parse(Sim("GET", "/sim/messages" + query).body);
  }
  static Json Stats() { return Json::parse(Sim("GET", "/sim/stats").body); }

  AppConfig App() {
    AppConfig c;
    c.credentials.api_url = base_ + "/cgi-bin/";
    c.credentials.corp_id = "ww-sim-corp";
    c.credentials.secret = kSecret;
    c.agent_id = 1000002;
    return c;
  }
  AppMessageSender::Deps Deps() {
    AppMessageSender::Deps d;
    d.transport = transport_.get();
    d.tokens = tokens_.get();
    d.clock = &Clock::Real();
    return d;
  }
  RobotSender Robot(const std::string& key, std::vector<std::string> mentions = {}) {
    RobotConfig c;
    c.webhook_url = base_ + "/cgi-bin/webhook/send";
    c.key = key;
    c.mentioned_users = std::move(mentions);
    RobotSender::Deps d;
    d.transport = transport_.get();
    d.clock = &Clock::Real();
    return RobotSender(std::move(c), d);
  }
  static RetryPolicy FastRetry() {
    RetryPolicy p;
    p.initial_backoff = absl::Milliseconds(10);
    p.max_backoff = absl::Milliseconds(50);
    return p;
  }

  static tt::Process* sim_;
  static std::string base_;
  std::unique_ptr<CurlHttpTransport> transport_;
  std::unique_ptr<TokenCache> tokens_;
};

tt::Process* SimIntegrationTest::sim_ = nullptr;
std::string SimIntegrationTest::base_;

TEST_F(SimIntegrationTest, AppMarkdownInChineseIsDeliveredAndInvalidUserReported) {
  Recipients to;
  to.users = {"zhangsan", "ghost"};
  AppMessageSender sender(App(), to, Deps());
  SendReport report;
  const std::string content = "**告警** 磁盘将满 <font color=\"warning\">critical</font>";
  ASSERT_TRUE(sender.Send(MessageFormat::kMarkdown, content, &report).ok());
  EXPECT_THAT(report.invalid.users, ::testing::ElementsAre("ghost"));

  const Json messages = Messages("?touser=zhangsan")["messages"];
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0]["msgtype"], "markdown");
  EXPECT_EQ(messages[0]["content"]["content"], content);
  EXPECT_EQ(messages[0]["agentid"], 1000002);
  EXPECT_EQ(messages[0]["enable_duplicate_check"], 1);
  EXPECT_FALSE(messages[0]["json_warning"].get<bool>());
  EXPECT_THAT(messages[0]["request"].get<std::string>(), Not(HasSubstr("\\u")));
}

TEST_F(SimIntegrationTest, ThirtyTwoConcurrentSendsShareOneToken) {
  // 32 messages to one member within a minute exceed WeCom's 30/min, which the simulator (like
  // WeCom) enforces by dropping silently; this test is about tokens, so the limit is off here.
  ASSERT_EQ(Sim("POST", "/sim/config", R"({"rate_limits":false})").status, 200);
  Recipients to;
  to.users = {"lisi"};
  AppMessageSender sender(App(), to, Deps());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 32; ++i) {
    threads.emplace_back([&, i] {
      if (sender.Send(MessageFormat::kText, absl::StrCat("并发 ", i), nullptr).ok()) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 32);
  EXPECT_EQ(Stats()["counts"]["tokens_issued"], 1);
  EXPECT_EQ(Messages("?touser=lisi")["messages"].size(), 32u);
}

TEST_F(SimIntegrationTest, RevokedTokenIsRefreshedOnceAndTheMessageResent) {
  Recipients to;
  to.users = {"zhangsan"};
  AppMessageSender sender(App(), to, Deps());
  ASSERT_TRUE(sender.Send(MessageFormat::kText, "first", nullptr).ok());
  ASSERT_EQ(Sim("POST", "/sim/revoke-token", R"({"agentid":1000002})").status, 200);
  SendReport report;
  ASSERT_TRUE(sender.Send(MessageFormat::kText, "second", &report).ok());
  EXPECT_EQ(report.token_refreshes, 1);
  EXPECT_EQ(Stats()["counts"]["tokens_issued"], 2);
  EXPECT_EQ(Messages("?touser=zhangsan")["messages"].size(), 2u);
}

TEST_F(SimIntegrationTest, TrustedIpErrorIsPermanentAndNamesTheIp) {
  ASSERT_EQ(Sim("POST", "/sim/faults", R"({"endpoint":"message/send","count":-1,"errcode":60020})")
                .status,
            200);
  Recipients to;
  to.users = {"zhangsan"};
  AppMessageSender sender(App(), to, Deps());
  SendReport report;
  const absl::Status s = sender.Send(MessageFormat::kText, "x", &report);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(s.message()), HasSubstr("add egress IP 127.0.0.1"));
  EXPECT_EQ(report.requests.at(0).attempts, 1);
  EXPECT_TRUE(Messages()["messages"].empty());
}

TEST_F(SimIntegrationTest, TransientFaultsAreRetriedUntilDelivered) {
  ASSERT_EQ(Sim("POST", "/sim/faults",
                R"([{"endpoint":"message/send","count":1,"http_status":502},)"
                R"({"endpoint":"message/send","count":1,"errcode":-1}])")
                .status,
            200);
  Recipients to;
  to.users = {"zhangsan"};
  AppMessageSender sender(App(), to, Deps(), FastRetry());
  SendReport report;
  ASSERT_TRUE(sender.Send(MessageFormat::kText, "重试", &report).ok());
  EXPECT_EQ(report.requests.at(0).attempts, 3);
  EXPECT_EQ(Messages("?touser=zhangsan")["messages"].size(), 1u);
}

TEST_F(SimIntegrationTest, ResendAfterTimeoutIsNotShownTwice) {
  // The first answer comes after the client gave up, but WeCom delivered it; the resend carries
  // the same JSON, so enable_duplicate_check suppresses it.
  ASSERT_EQ(
      Sim("POST", "/sim/faults", R"({"endpoint":"message/send","count":1,"delay_ms":1500})").status,
      200);
  CurlHttpTransport::Options options;
  options.total_timeout = absl::Milliseconds(500);
  auto impatient = CurlHttpTransport::Create(options);
  ASSERT_TRUE(impatient.ok());
  AppMessageSender::Deps deps = Deps();
  deps.transport = impatient->get();
  Recipients to;
  to.users = {"zhangsan"};
  AppMessageSender sender(App(), to, deps, FastRetry());
  SendReport report;
  ASSERT_TRUE(sender.Send(MessageFormat::kText, "超时重发", &report).ok());
  EXPECT_EQ(report.requests.at(0).attempts, 2);
  ASSERT_TRUE(tt::WaitFor([] { return Messages()["suppressed_duplicates"].size() == 1; },
                          absl::Seconds(5)));
  EXPECT_EQ(Messages("?touser=zhangsan")["messages"].size(), 1u);
}

TEST_F(SimIntegrationTest, RobotTextMentionsAndMarkdownUserMentionsAreRecorded) {
  RobotSender robot = Robot(kRobotKey, {"zhangsan"});
  ASSERT_TRUE(robot.Send(MessageFormat::kText, "机器人 text", nullptr).ok());
  ASSERT_TRUE(robot.Send(MessageFormat::kMarkdown, "**机器人** markdown", nullptr).ok());
  const Json messages = Messages(absl::StrCat("?robot=", kRobotKey))["messages"];
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0]["mentioned_list"], Json::array({"zhangsan"}));
  EXPECT_EQ(messages[1]["at_userids"], Json::array({"zhangsan"}));
}

TEST_F(SimIntegrationTest, BadRobotKeyIsPermanentAndNeverLogged) {
  wecom::testing::LogCapture logs;
  const std::string bad_key = "not-a-real-robot-key-123";
  RobotSender robot = Robot(bad_key);
  const absl::Status s = robot.Send(MessageFormat::kText, "x", nullptr);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("93000"));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr(bad_key)));
  const std::string log = logs.text();
  EXPECT_THAT(log, HasSubstr("93000"));
  EXPECT_THAT(log, Not(HasSubstr(bad_key)));
}

TEST_F(SimIntegrationTest, WrongSecretIsReportedWithoutLeakingIt) {
  wecom::testing::LogCapture logs;
  AppConfig app = App();
  app.credentials.secret = "wrong-secret-abc";
  Recipients to;
  to.users = {"zhangsan"};
  AppMessageSender sender(app, to, Deps());
  const absl::Status s = sender.Send(MessageFormat::kText, "x", nullptr);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(s.message()), HasSubstr("40001"));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("wrong-secret-abc")));
  EXPECT_THAT(logs.text(), Not(HasSubstr("wrong-secret-abc")));
}

}  // namespace
}  // namespace wecom_notify::wecom
