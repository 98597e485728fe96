// Live configuration updates against real processes (notifyd, webhook-shim, wecom-sim):
// POST /-/reload on the shim (forwarded to notifyd's Admin.ReloadConfig) and on notifyd's own
// web port answer as Alertmanager does — 200, or 500 with the error while the old configuration
// keeps serving — with notifyd's admin token presented by the shim when notifyd requires one.
// A change of the configuration file's content is applied with no signal, also when the file is
// a Kubernetes ConfigMap mount whose symlinked directory is swapped, and so is a change of a
// secret file it names (a rotated Secret); a bad one is rejected once and not retried. Alerts keep
// flowing through reloads of every kind: none is lost, and every group is notified exactly once.

#include <gmock/gmock.h>
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "tests/e2e/stack.h"
#include "wecom_notify/v1/admin.grpc.pb.h"

namespace wecom_notify::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace v1 = wecom_notify::v1;

// `CHILD_ROUTES` is replaced by each test's variant of the route tree.
constexpr char kConfig[] = R"(global:
  wecom_api_url: API_URL
  language: en
route:
  receiver: ops
  group_by: [alertname]
  group_wait: 300ms
  group_interval: 1h
  repeat_interval: 24h
  routes: CHILD_ROUTES
receivers:
  - name: ops
    wecom_configs:
      - corp_id: ww-sim-corp
        agent_id: 1000002
        api_secret: sim-secret-1000002
        to_user: [zhangsan]
        message_type: text
  - name: db
    wecom_configs:
      - corp_id: ww-sim-corp
        agent_id: 1000002
        api_secret: sim-secret-1000002
        to_user: [lisi]
        message_type: text
)";

// The value of `series` (name and labels exactly as exported) in a Prometheus text page, or -1.
double MetricValue(const std::string& page, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(page, '\n')) {
    if (!absl::StartsWith(line, series + " ")) continue;
    double value = -1;
    if (absl::SimpleAtod(line.substr(series.size() + 1), &value)) return value;
  }
  return -1;
}

class ReloadE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stack_ = std::make_unique<Stack>(MakeTempDir("reload-e2e"));
    ASSERT_TRUE(stack_->StartWeComSim({"--rate-limits=off"})) << stack_->sim()->Output();
    config_path_ = stack_->dir() + "/notifyd.yml";
    WriteConfig("[]");
  }

  // The configuration with `child_routes` (a YAML flow list) under the root route.
  std::string Config(const std::string& child_routes) const {
    return absl::StrReplaceAll(kConfig, {{"API_URL", stack_->SimApiUrl()},
                                         {"CHILD_ROUTES", child_routes}});
  }
  void WriteConfig(const std::string& child_routes) {
    WriteFile(config_path_, Config(child_routes));
  }
  // team="db" goes to the db receiver.
  static std::string DbRoute() { return R"([{matchers: ['team="db"'], receiver: db}])"; }
  // A configuration that does not parse: the route names a receiver that does not exist.
  void WriteBadConfig() { WriteConfig(R"([{matchers: ['team="db"'], receiver: nobody}])"); }

  bool StartNotifyd(std::vector<std::string> extra = {}) {
    extra.push_back("--config.file=" + config_path_);
    return stack_->StartNotifyd(extra);
  }

  std::unique_ptr<v1::Admin::Stub> Admin() {
    return v1::Admin::NewStub(
        grpc::CreateChannel(stack_->grpc_address(), grpc::InsecureChannelCredentials()));
  }

  // The receiver the running routing picks for an alert of team `team` (dry run), or the error.
  std::string RoutedTo(const std::string& team, const std::string& token = "") {
    v1::TestRouteRequest request;
    (*request.mutable_labels())["alertname"] = "Probe";
    (*request.mutable_labels())["team"] = team;
    request.set_dry_run(true);
    v1::TestRouteResponse response;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
    grpc::Status s = Admin()->TestRoute(&ctx, request, &response);
    if (!s.ok()) return "error: " + s.error_message();
    return response.routes_size() == 1 ? response.routes(0).receiver() : response.DebugString();
  }

  double NotifydMetric(const std::string& series) {
    return MetricValue(HttpRequest("GET", stack_->NotifydWebUrl("/metrics")).body, series);
  }

  // The contents of the messages the simulator received for `user`.
  std::vector<std::string> Delivered(const std::string& user) {
    std::vector<std::string> out;
    auto json = nlohmann::json::parse(
        HttpRequest("GET", stack_->SimUrl("/sim/messages?touser=" + user)).body, nullptr, false);
    if (json.is_discarded()) return out;
    for (const auto& m : json["messages"]) out.push_back(m["content"].value("content", ""));
    return out;
  }

  HttpResult PostReload(const std::string& url, std::vector<std::string> headers = {}) {
    return HttpRequest("POST", url, "", headers);
  }

  std::unique_ptr<Stack> stack_;
  std::string config_path_;
};

constexpr char kFailures[] = R"(wecom_notify_config_reloads_total{result="failure"})";
constexpr char kSuccesses[] = R"(wecom_notify_config_reloads_total{result="success"})";
constexpr char kLastOk[] = "wecom_notify_config_last_reload_successful";

TEST_F(ReloadE2eTest, ShimReloadAppliesAGoodFileAndRejectsABadOne) {
  ASSERT_TRUE(StartNotifyd({"--config.watch-interval=0"})) << stack_->notifyd()->Output();
  ASSERT_TRUE(stack_->StartShim()) << stack_->shim()->Output();
  EXPECT_EQ(RoutedTo("db"), "ops");

  WriteConfig(DbRoute());
  auto ok = PostReload(stack_->ShimUrl("/-/reload"));
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.body, "");
  EXPECT_EQ(RoutedTo("db"), "db");
  EXPECT_EQ(NotifydMetric(kSuccesses), 1);
  EXPECT_EQ(NotifydMetric(kLastOk), 1);

  WriteBadConfig();
  auto bad = PostReload(stack_->ShimUrl("/-/reload"));
  EXPECT_EQ(bad.status, 500);
  EXPECT_THAT(bad.body, StartsWith("failed to reload config: "));
  EXPECT_THAT(bad.body, HasSubstr("notifyd.yml:"));  // file and line
  EXPECT_THAT(bad.body, HasSubstr("nobody"));
  EXPECT_EQ(RoutedTo("db"), "db");  // the old configuration keeps serving
  EXPECT_EQ(NotifydMetric(kFailures), 1);
  EXPECT_EQ(NotifydMetric(kLastOk), 0);

  // Only POST, as Alertmanager.
  EXPECT_EQ(HttpRequest("GET", stack_->ShimUrl("/-/reload")).status, 405);

  // notifyd's own web port answers the same way.
  auto own_bad = PostReload(stack_->NotifydWebUrl("/-/reload"));
  EXPECT_EQ(own_bad.status, 500);
  EXPECT_THAT(own_bad.body, StartsWith("failed to reload config: "));
  EXPECT_EQ(NotifydMetric(kFailures), 2);
  WriteConfig("[]");
  auto own_ok = PostReload(stack_->NotifydWebUrl("/-/reload"));
  EXPECT_EQ(own_ok.status, 200) << own_ok.body;
  EXPECT_EQ(RoutedTo("db"), "ops");
  EXPECT_EQ(NotifydMetric(kLastOk), 1);
  EXPECT_EQ(NotifydMetric(kSuccesses), 2);

  // SIGHUP takes the same path.
  WriteConfig(DbRoute());
  ASSERT_EQ(kill(stack_->notifyd()->pid(), SIGHUP), 0);
  EXPECT_TRUE(WaitFor([&] { return NotifydMetric(kSuccesses) == 3; }, absl::Seconds(10)));
  EXPECT_EQ(RoutedTo("db"), "db");
}

TEST_F(ReloadE2eTest, ShimPresentsNotifydsAdminTokenAndChecksItsOwnAuth) {
  WriteFile(stack_->dir() + "/admin-token", "adm1n\n");
  WriteFile(stack_->dir() + "/web-token", "w3b\n");
  ASSERT_TRUE(StartNotifyd({"--admin.token-file=" + stack_->dir() + "/admin-token"}))
      << stack_->notifyd()->Output();
  ASSERT_TRUE(stack_->StartShim()) << stack_->shim()->Output();
  WriteConfig(DbRoute());

  // Without the token notifyd refuses; the shim says why.
  auto refused = PostReload(stack_->ShimUrl("/-/reload"));
  EXPECT_EQ(refused.status, 500);
  EXPECT_THAT(refused.body, HasSubstr("authorization"));
  EXPECT_EQ(RoutedTo("db", "adm1n"), "ops");

  stack_->shim()->Stop(SIGTERM);
  ASSERT_TRUE(stack_->StartShim({"--notify.admin-token-file=" + stack_->dir() + "/admin-token",
                                 "--web.auth.bearer-token-file=" + stack_->dir() + "/web-token"}))
      << stack_->shim()->Output();
  // The shim's own auth guards the endpoint like the alert endpoints.
  EXPECT_EQ(PostReload(stack_->ShimUrl("/-/reload")).status, 401);
  auto ok = PostReload(stack_->ShimUrl("/-/reload"), {"Authorization: Bearer w3b"});
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(RoutedTo("db", "adm1n"), "db");
  // The admin token never shows up in what the shim logs.
  EXPECT_THAT(stack_->shim()->Output(), ::testing::Not(HasSubstr("adm1n")));

  // notifyd gone: 503, so a caller can tell "try again" from "bad configuration".
  stack_->StopNotifyd(SIGTERM);
  EXPECT_EQ(PostReload(stack_->ShimUrl("/-/reload"), {"Authorization: Bearer w3b"}).status, 503);
}

// One Secret holds notifyd's admin token, mounted in both containers; rotating it changes the
// token notifyd requires and the one the shim presents, each within its watch interval. The
// replaced token is refused once --admin.token-rotation-grace has passed (admin_test covers the
// grace itself in simulated time).
TEST_F(ReloadE2eTest, RotatedAdminTokenFileAppliesToNotifydAndShim) {
  const std::string token_file = stack_->dir() + "/admin-token";
  WriteFile(token_file, "admin-token-one\n");
  ASSERT_TRUE(StartNotifyd({"--admin.token-file=" + token_file, "--config.watch-interval=100ms",
                            "--admin.token-rotation-grace=1s"}))
      << stack_->notifyd()->Output();
  ASSERT_TRUE(stack_->StartShim(
      {"--notify.admin-token-file=" + token_file, "--web.auth.watch-interval=100ms"}))
      << stack_->shim()->Output();
  EXPECT_EQ(PostReload(stack_->ShimUrl("/-/reload")).status, 200);
  EXPECT_EQ(RoutedTo("db", "admin-token-one"), "ops");

  WriteFile(token_file, "admin-token-two\n");
  EXPECT_TRUE(
      WaitFor([&] { return RoutedTo("db", "admin-token-two") == "ops"; }, absl::Seconds(10)))
      << stack_->notifyd()->Output();
  EXPECT_TRUE(WaitFor(
      [&] { return absl::StrContains(RoutedTo("db", "admin-token-one"), "wrong admin token"); },
      absl::Seconds(10)));
  EXPECT_TRUE(WaitFor([&] { return PostReload(stack_->ShimUrl("/-/reload")).status == 200; },
                      absl::Seconds(10)))
      << stack_->shim()->Output();
  for (const std::string& log : {stack_->notifyd()->Output(), stack_->shim()->Output()}) {
    EXPECT_THAT(log, ::testing::Not(HasSubstr("admin-token-")));
  }
}

TEST_F(ReloadE2eTest, FileChangeIsAppliedWithoutASignal) {
  // A ConfigMap volume as the kubelet lays it out: notifyd.yml -> ..data/notifyd.yml and
  // ..data -> ..v1; an update writes ..v2 and renames a new ..data link over the old one, so
  // the file notifyd opened is never written to.
  const std::string cm = stack_->dir() + "/configmap";
  ASSERT_EQ(system(absl::StrCat("mkdir -p ", cm, "/..v1 ", cm, "/..v2 ", cm, "/..v3").c_str()), 0);
  WriteFile(cm + "/..v1/notifyd.yml", Config("[]"));
  WriteFile(cm + "/..v2/notifyd.yml", Config(DbRoute()));
  WriteFile(cm + "/..v3/notifyd.yml", Config(R"([{matchers: ['team="db"'], receiver: nobody}])"));
  ASSERT_EQ(symlink("..v1", (cm + "/..data").c_str()), 0);
  ASSERT_EQ(symlink("..data/notifyd.yml", (cm + "/notifyd.yml").c_str()), 0);
  auto swap_to = [&](const std::string& version) {
    ASSERT_EQ(symlink(version.c_str(), (cm + "/..data_tmp").c_str()), 0);
    ASSERT_EQ(rename((cm + "/..data_tmp").c_str(), (cm + "/..data").c_str()), 0);
  };
  config_path_ = cm + "/notifyd.yml";
  ASSERT_TRUE(StartNotifyd({"--config.watch-interval=100ms"})) << stack_->notifyd()->Output();
  EXPECT_EQ(RoutedTo("db"), "ops");
  // Nothing changed: no reload happens on its own.
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(NotifydMetric(kSuccesses), 0);

  swap_to("..v2");
  EXPECT_TRUE(WaitFor([&] { return RoutedTo("db") == "db"; }, absl::Seconds(10)))
      << stack_->notifyd()->Output();
  EXPECT_EQ(NotifydMetric(kSuccesses), 1);

  // A bad update: rejected, counted once, the old configuration keeps serving, and the same
  // content is not tried again on every poll.
  swap_to("..v3");
  EXPECT_TRUE(WaitFor([&] { return NotifydMetric(kFailures) == 1; }, absl::Seconds(10)));
  EXPECT_EQ(NotifydMetric(kLastOk), 0);
  absl::SleepFor(absl::Seconds(1));  // ten more polls
  EXPECT_EQ(NotifydMetric(kFailures), 1);
  EXPECT_EQ(RoutedTo("db"), "db");

  // Fixed: picked up.
  swap_to("..v1");
  EXPECT_TRUE(WaitFor([&] { return RoutedTo("db") == "ops"; }, absl::Seconds(10)));
  EXPECT_EQ(NotifydMetric(kLastOk), 1);
  EXPECT_THAT(stack_->notifyd()->Output(), HasSubstr("trigger=file_change"));
}

// A Kubernetes Secret mounted as a file is rotated in place: the secret file's content changes,
// the configuration file's does not. The watcher applies it as it applies an edited file.
TEST_F(ReloadE2eTest, RotatedSecretFileIsAppliedWithoutASignal) {
  const std::string secret_path = stack_->dir() + "/secret.txt";
  WriteFile(secret_path, "not-the-secret\n");
  WriteFile(config_path_, absl::StrReplaceAll(Config("[]"), {{"api_secret: sim-secret-1000002",
                                                              "api_secret_file: secret.txt"}}));
  ASSERT_TRUE(StartNotifyd({"--config.watch-interval=100ms"})) << stack_->notifyd()->Output();
  ASSERT_TRUE(stack_->StartShim()) << stack_->shim()->Output();
  absl::SleepFor(absl::Milliseconds(500));  // five polls: nothing changed, nothing reloaded
  EXPECT_EQ(NotifydMetric(kSuccesses), 0);

  WriteFile(secret_path, "sim-secret-1000002\n");
  EXPECT_TRUE(WaitFor([&] { return NotifydMetric(kSuccesses) == 1; }, absl::Seconds(10)))
      << stack_->notifyd()->Output();
  // The new secret is the one in use: with the old one WeCom refuses the token (40001).
  EXPECT_EQ(HttpRequest("POST", stack_->ShimUrl("/api/v2/alerts"),
                        R"([{"labels":{"alertname":"AfterRotation"}}])")
                .status,
            200);
  EXPECT_TRUE(WaitFor([&] { return Delivered("zhangsan").size() == 1; }, absl::Seconds(10)))
      << stack_->notifyd()->Output();
  EXPECT_THAT(Delivered("zhangsan"), ::testing::ElementsAre(HasSubstr("AfterRotation")));
  const std::string log = stack_->notifyd()->Output();
  EXPECT_THAT(log, HasSubstr("trigger=file_change"));
  EXPECT_THAT(log, ::testing::Not(HasSubstr("sim-secret-1000002")));
  EXPECT_THAT(log, ::testing::Not(HasSubstr("not-the-secret")));
}

TEST_F(ReloadE2eTest, ReloadsUnderLoadLoseNoAlertAndNotifyEachGroupOnce) {
  ASSERT_TRUE(StartNotifyd({"--config.watch-interval=100ms"})) << stack_->notifyd()->Output();
  ASSERT_TRUE(stack_->StartShim()) << stack_->shim()->Output();

  // The poster: kGroups batches, one per group (alertname), kPerGroup alerts each, posted as
  // Prometheus would (retrying a 5xx), while the main thread reloads. Bounded in count and time.
  // Every group goes to zhangsan, and notifyd keeps WeCom's 30 messages a minute per member:
  // 25 groups all arrive at once.
  constexpr int kGroups = 25, kPerGroup = 8;
  std::atomic<int> acknowledged{0}, retries{0};
  std::atomic<bool> gave_up{false};
  std::thread poster([&] {
    const absl::Time give_up_at = absl::Now() + absl::Seconds(60);
    for (int g = 0; g < kGroups && !gave_up; ++g) {
      std::string body = "[";
      for (int i = 0; i < kPerGroup; ++i) {
        absl::StrAppend(&body, i ? "," : "",
                        absl::StrFormat(R"({"labels":{"alertname":"Load%03d","instance":"h%d"}})",
                                        g, i));
      }
      body += "]";
      while (true) {
        const auto r = HttpRequest("POST", stack_->ShimUrl("/api/v2/alerts"), body);
        if (r.status == 200) break;
        if (absl::Now() > give_up_at) {
          gave_up = true;
          break;
        }
        ++retries;
        absl::SleepFor(absl::Milliseconds(20));
      }
      if (!gave_up) ++acknowledged;
      absl::SleepFor(absl::Milliseconds(120));
    }
  });

  // Reloads of every kind while the alerts flow; the group keys stay the same in every
  // variant (only a route no load alert matches changes), so each group is notified once.
  auto variant = [](int n) {
    return absl::StrFormat(R"([{matchers: ['team="v%d"'], receiver: db}])", n);
  };
  auto pause = [] { absl::SleepFor(absl::Milliseconds(300)); };
  pause();
  WriteConfig(variant(1));
  ASSERT_EQ(kill(stack_->notifyd()->pid(), SIGHUP), 0);
  pause();
  WriteConfig(variant(2));
  EXPECT_EQ(PostReload(stack_->ShimUrl("/-/reload")).status, 200);
  pause();
  WriteConfig(variant(3));  // the watcher picks this one up
  EXPECT_TRUE(WaitFor([&] { return NotifydMetric(kSuccesses) >= 3; }, absl::Seconds(10)));
  pause();
  WriteBadConfig();
  EXPECT_EQ(PostReload(stack_->ShimUrl("/-/reload")).status, 500);
  pause();
  WriteConfig(variant(4));
  EXPECT_EQ(PostReload(stack_->NotifydWebUrl("/-/reload")).status, 200);
  pause();
  WriteConfig(variant(5));
  ASSERT_EQ(kill(stack_->notifyd()->pid(), SIGHUP), 0);
  poster.join();
  ASSERT_FALSE(gave_up) << stack_->shim()->Output();
  EXPECT_EQ(acknowledged.load(), kGroups);
  EXPECT_GE(NotifydMetric(kFailures), 1);
  EXPECT_TRUE(WaitFor([&] { return NotifydMetric(kLastOk) == 1; }, absl::Seconds(10)));

  // Every alert is held, over gRPC and through the shim's Alertmanager API.
  EXPECT_EQ(stack_->ListAlerts().size(), static_cast<std::size_t>(kGroups * kPerGroup));
  auto listed = nlohmann::json::parse(
      HttpRequest("GET", stack_->ShimUrl("/api/v2/alerts")).body, nullptr, false);
  ASSERT_TRUE(listed.is_array());
  EXPECT_EQ(listed.size(), static_cast<std::size_t>(kGroups * kPerGroup));

  // Every group reached WeCom, exactly once.
  auto delivered = [&] { return Delivered("zhangsan"); };
  const auto all_groups = static_cast<std::size_t>(kGroups);
  EXPECT_TRUE(WaitFor([&] { return delivered().size() >= all_groups; }, absl::Seconds(30)))
      << delivered().size() << " of " << kGroups;
  absl::SleepFor(absl::Seconds(1));  // time for a duplicate to show up, if one were coming
  const std::vector<std::string> messages = delivered();
  EXPECT_EQ(messages.size(), all_groups);
  for (int g = 0; g < kGroups; ++g) {
    const std::string name = absl::StrFormat("Load%03d", g);
    int found = 0;
    for (const auto& m : messages) {
      if (m.find(name) == std::string::npos) continue;
      ++found;
      for (int i = 0; i < kPerGroup; ++i) EXPECT_THAT(m, HasSubstr(absl::StrCat("h", i)));
    }
    EXPECT_EQ(found, 1) << name;
  }
  EXPECT_THAT(HttpRequest("GET", stack_->SimUrl("/sim/messages?touser=lisi")).body,
              ::testing::Not(HasSubstr("Load")));
  RecordProperty("post_retries", retries.load());
}

}  // namespace
}  // namespace wecom_notify::testing
