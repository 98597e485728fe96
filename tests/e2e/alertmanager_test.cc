// Real peers: Debian's Alertmanager delivering through its webhook receiver to the shim, and
// amtool adding and querying alerts against the shim — and against the same API served by
// notifyd itself (--alerts-api.listen-address) — as if it were an Alertmanager.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include "absl/strings/str_cat.h"
#include "tests/e2e/stack.h"

namespace wecom_notify::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kAlertmanager[] = "/usr/bin/prometheus-alertmanager";
constexpr char kAmtool[] = "/usr/bin/amtool";

// Runs amtool against the Alertmanager API at `url`; returns its output, `exit_status` its wait
// status.
std::string Amtool(const std::string& url, const std::string& dir, std::vector<std::string> args,
                   int* exit_status) {
  std::vector<std::string> argv = {kAmtool, "--alertmanager.url=" + url};
  argv.insert(argv.end(), args.begin(), args.end());
  auto process = Process::Start(argv, dir + "/amtool.log");
  EXPECT_TRUE(process.ok());
  *exit_status = (*process)->Stop(0, absl::Seconds(30));  // signal 0: just wait
  return (*process)->Output();
}

// Starts notifyd serving its alerts API on a free port, with `flags`, and waits until the API
// answers /-/ready. Returns the API's URL ("<scheme>://127.0.0.1:<port>"), or "" when notifyd
// did not start or the API did not answer (the caller prints notifyd's log).
std::string StartNotifydWithAlertsApi(Stack& stack, std::vector<std::string> flags,
                                      const std::string& scheme = "http") {
  const std::string address = absl::StrCat("127.0.0.1:", FreePort());
  flags.push_back("--alerts-api.listen-address=" + address);
  if (!stack.StartNotifyd(flags)) return "";
  const std::string url = scheme + "://" + address;
  if (!WaitFor([&] { return HttpRequest("GET", url + "/-/ready").status == 200; },
               absl::Seconds(10))) {
    return "";
  }
  return url;
}

class AlertmanagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stack_ = std::make_unique<Stack>(MakeTempDir("am-e2e"));
    ASSERT_TRUE(stack_->StartNotifyd()) << stack_->notifyd()->Output();
    ASSERT_TRUE(stack_->StartShim()) << stack_->shim()->Output();
  }

  std::string Amtool(std::vector<std::string> args, int* exit_status) {
    return testing::Amtool(stack_->ShimUrl(""), stack_->dir(), std::move(args), exit_status);
  }

  std::unique_ptr<Stack> stack_;
};

TEST_F(AlertmanagerTest, WebhookReceiverDeliversToNotifyd) {
  const int am_port = FreePort();
  const std::string config = absl::StrCat(R"(
route:
  receiver: wecom
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: wecom
    webhook_configs:
      - url: )", stack_->ShimUrl("/webhook"), R"(
      - url: )", stack_->ShimUrl("/api/v2/alerts"), "\n");
  WriteFile(stack_->dir() + "/alertmanager.yml", config);
  auto am = Process::Start(
      {kAlertmanager, "--config.file=" + stack_->dir() + "/alertmanager.yml",
       "--storage.path=" + stack_->dir() + "/am-data",
       absl::StrCat("--web.listen-address=127.0.0.1:", am_port), "--cluster.listen-address="},
      stack_->dir() + "/alertmanager.log");
  ASSERT_TRUE(am.ok());
  const std::string am_url = absl::StrCat("http://127.0.0.1:", am_port);
  ASSERT_TRUE(WaitFor([&] { return HttpRequest("GET", am_url + "/-/ready").status == 200; },
                      absl::Seconds(20)))
      << (*am)->Output();

  auto posted = HttpRequest("POST", am_url + "/api/v2/alerts",
                            R"([{"labels":{"alertname":"ViaAlertmanager","severity":"critical"},
                                 "annotations":{"summary":"delivered by a real Alertmanager"}}])");
  ASSERT_EQ(posted.status, 200) << posted.body;

  ASSERT_TRUE(WaitFor([&] { return stack_->ListAlerts("ViaAlertmanager").size() == 1; },
                      absl::Seconds(30)))
      << (*am)->Output() << stack_->shim()->Output();
  auto alerts = stack_->ListAlerts("ViaAlertmanager");
  EXPECT_EQ(alerts[0].annotations().at("summary"), "delivered by a real Alertmanager");
  EXPECT_EQ(alerts[0].status(), wecom_notify::v1::ALERT_STATUS_FIRING);
  // Both webhook URLs were served: /webhook and the webhook object on /api/v2/alerts.
  EXPECT_TRUE(WaitFor([&] {
    auto metrics = HttpRequest("GET", stack_->ShimUrl("/metrics")).body;
    return metrics.find(R"(code="200",handler="webhook")") != std::string::npos &&
           metrics.find(R"(code="200",handler="api_v2_alerts_post")") != std::string::npos;
  }, absl::Seconds(10)));
  (*am)->Stop(SIGTERM);
}

TEST_F(AlertmanagerTest, AmtoolAddsAndQueriesAgainstTheShim) {
  int status = -1;
  std::string out = Amtool({"alert", "add", "AmtoolAdded", "severity=warning", "team=ops",
                            "--annotation=summary=added by amtool"},
                           &status);
  ASSERT_EQ(status, 0) << out;
  auto alerts = stack_->ListAlerts("AmtoolAdded");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].labels().at("team"), "ops");

  out = Amtool({"alert", "query", "alertname=AmtoolAdded"}, &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_THAT(out, HasSubstr("AmtoolAdded"));
  EXPECT_THAT(out, HasSubstr("added by amtool"));
  EXPECT_THAT(out, HasSubstr("active"));

  out = Amtool({"alert", "query", "alertname=NoSuchAlert"}, &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_THAT(out, ::testing::Not(HasSubstr("AmtoolAdded")));
}

// amtool's silence commands pointed at the shim by mistake: a query lists none, an add is
// refused saying where silences belong.
TEST_F(AlertmanagerTest, AmtoolSilenceCommandsSayWhereSilencesLive) {
  int status = -1;
  std::string out = Amtool({"silence", "query"}, &status);
  EXPECT_EQ(status, 0) << out;
  out = Amtool({"silence", "add", "alertname=Noisy", "--comment=maintenance"}, &status);
  EXPECT_NE(status, 0) << out;
  EXPECT_THAT(out, HasSubstr("wecom-notify keeps no silences"));
}

TEST(NotifydAlertsApiTest, AmtoolAddsAndQueriesAgainstNotifydItself) {
  Stack stack(MakeTempDir("alerts-api-e2e"));
  const std::string api_url = StartNotifydWithAlertsApi(stack, {});
  ASSERT_FALSE(api_url.empty()) << stack.notifyd()->Output();

  int status = -1;
  std::string out = Amtool(api_url, stack.dir(),
                           {"alert", "add", "InProcess", "team=platform",
                            "--annotation=summary=served by notifyd"},
                           &status);
  ASSERT_EQ(status, 0) << out;
  // Stored by the same notifyd its gRPC API answers for.
  auto alerts = stack.ListAlerts("InProcess");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].labels().at("team"), "platform");
  out = Amtool(api_url, stack.dir(), {"alert", "query", "alertname=InProcess"}, &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_THAT(out, HasSubstr("served by notifyd"));

  // SIGTERM stops notifyd and its alerts API together.
  EXPECT_EQ(stack.notifyd()->Stop(SIGTERM), 0);
  EXPECT_EQ(HttpRequest("GET", api_url + "/-/healthy").status, 0);
}

// --alerts-api.auth.bearer-token-file guards notifyd's own alerts API, and a rotated token file
// applies within --config.watch-interval, as it does for webhook-shim; the replaced token is
// refused once --alerts-api.auth.rotation-grace has passed.
TEST(NotifydAlertsApiTest, BearerTokenFileIsRequiredAndFollowed) {
  Stack stack(MakeTempDir("alerts-api-e2e"));
  const std::string token_file = stack.dir() + "/token";
  WriteFile(token_file, "api-token-one\n");
  const std::string api_url = StartNotifydWithAlertsApi(
      stack, {"--alerts-api.auth.bearer-token-file=" + token_file, "--config.watch-interval=100ms",
              "--alerts-api.auth.rotation-grace=1s"});
  ASSERT_FALSE(api_url.empty()) << stack.notifyd()->Output();
  auto post_with = [&](const std::string& token) {
    return HttpRequest("POST", api_url + "/api/v2/alerts",
                       R"([{"labels":{"alertname":"GuardedApi"}}])",
                       {"Content-Type: application/json", "Authorization: Bearer " + token})
        .status;
  };
  EXPECT_EQ(HttpRequest("POST", api_url + "/api/v2/alerts", "[]").status, 401);
  EXPECT_EQ(post_with("api-token-one"), 200);
  WriteFile(token_file, "api-token-two\n");
  EXPECT_TRUE(WaitFor([&] { return post_with("api-token-two") == 200; }, absl::Seconds(10)))
      << stack.notifyd()->Output();
  EXPECT_TRUE(WaitFor([&] { return post_with("api-token-one") == 401; }, absl::Seconds(10)));
  EXPECT_EQ(post_with("api-token-two"), 200);
  EXPECT_EQ(stack.ListAlerts("GuardedApi").size(), 1u);
  EXPECT_THAT(stack.notifyd()->Output(), ::testing::Not(HasSubstr("api-token-")));
}

// notifyd's own alerts API speaks TLS and basic auth, as webhook-shim does.
TEST(NotifydAlertsApiTest, ServesHttpsWithBasicAuth) {
  Stack stack(MakeTempDir("alerts-api-e2e"));
  auto tls = MakeSelfSignedCert(stack.dir());
  ASSERT_TRUE(tls.ok()) << tls.status();
  WriteFile(stack.dir() + "/password", "pass1\n");
  const std::string api_url = StartNotifydWithAlertsApi(
      stack,
      {"--alerts-api.tls-cert-file=" + tls->cert, "--alerts-api.tls-key-file=" + tls->key,
       "--alerts-api.auth.basic-username=user1",
       "--alerts-api.auth.basic-password-file=" + stack.dir() + "/password"},
      "https");
  ASSERT_FALSE(api_url.empty()) << stack.notifyd()->Output();
  const std::string address = api_url.substr(std::string("https://").size());
  const std::string body = R"([{"labels":{"alertname":"OverTlsInProcess"}}])";
  EXPECT_EQ(HttpRequest("POST", api_url + "/api/v2/alerts", body).status, 401);
  // Alertmanager's basic_auth {username: user1, password: pass1} sends exactly this header.
  EXPECT_EQ(HttpRequest("POST", api_url + "/api/v2/alerts", body,
                        {"Content-Type: application/json", "Authorization: Basic dXNlcjE6cGFzczE="})
                .status,
            200);
  EXPECT_EQ(HttpRequest("GET", "http://" + address + "/-/healthy").status, 0);  // no plain HTTP
  EXPECT_EQ(stack.ListAlerts("OverTlsInProcess").size(), 1u);
}

// notifyd's own alerts API takes webhook-shim's limits under its prefix (libs/http_flags).
TEST(NotifydAlertsApiTest, LimitsFollowTheirFlags) {
  Stack stack(MakeTempDir("alerts-api-e2e"));
  const std::string api_url =
      StartNotifydWithAlertsApi(stack, {"--alerts-api.max-body-bytes=200", "--alerts-api.threads=1",
                                        "--alerts-api.idle-timeout=2s"});
  ASSERT_FALSE(api_url.empty()) << stack.notifyd()->Output();
  const std::string small = R"([{"labels":{"alertname":"SmallEnough"}}])";
  const std::string large = absl::StrCat(R"([{"labels":{"alertname":"TooLarge","padding":")",
                                         std::string(200, 'x'), R"("}}])");
  EXPECT_EQ(HttpRequest("POST", api_url + "/api/v2/alerts", small).status, 200);
  EXPECT_EQ(HttpRequest("POST", api_url + "/api/v2/alerts", large).status, 413);
  EXPECT_EQ(stack.ListAlerts("SmallEnough").size(), 1u);
  EXPECT_EQ(stack.ListAlerts("TooLarge").size(), 0u);
  EXPECT_EQ(stack.notifyd()->Stop(SIGTERM), 0);
}

// A bad value stops notifyd at start with the flag named, before it serves anything.
// A bad limit, or a token or password file that cannot be used, stops notifyd at start (exit 2,
// the flag named, never a file's content) instead of serving with a hole in it.
TEST(NotifydAlertsApiTest, ABadFlagIsRefusedAtStart) {
  const std::string dir = MakeTempDir("alerts-api-e2e");
  WriteFile(dir + "/empty", "\n");
  WriteFile(dir + "/token", "t0ken-never-printed\n");
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--alerts-api.read-timeout=soon"},
           {"--alerts-api.auth.bearer-token-file=" + dir + "/missing"},
           {"--alerts-api.auth.basic-username=u",
            "--alerts-api.auth.basic-password-file=" + dir + "/empty"},
           {"--alerts-api.auth.bearer-token-file=" + dir + "/token",
            "--alerts-api.auth.basic-username=u"},
           {"--admin.token-file=" + dir + "/missing"},
       }) {
    std::vector<std::string> command = {BinPath("notifyd"), "--storage.path=" + dir + "/data",
                                        "--grpc.listen-address=127.0.0.1:0",
                                        "--web.listen-address=127.0.0.1:0"};
    command.insert(command.end(), args.begin(), args.end());
    auto notifyd = Process::Start(command, dir + "/notifyd.log");
    ASSERT_TRUE(notifyd.ok());
    EXPECT_EQ((*notifyd)->Stop(0, absl::Seconds(10)), 2 << 8) << args[0];
    const std::string flag = args.back().substr(0, args.back().find('='));
    EXPECT_THAT((*notifyd)->Output(), HasSubstr(flag)) << args[0];
    EXPECT_THAT((*notifyd)->Output(), Not(HasSubstr("t0ken-never-printed")));
  }
}

}  // namespace
}  // namespace wecom_notify::testing
