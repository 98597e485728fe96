// The whole chain to WeCom: alerts posted to the shim reach notifyd, are grouped and delivered
// to the WeCom simulator as one message per group — once, then a resolved notice — and after
// kill -9 of notifyd every due notification is still delivered exactly once.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "tests/e2e/stack.h"

namespace wecom_notify::testing {
namespace {

using ::testing::HasSubstr;

class DeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stack_ = std::make_unique<Stack>(MakeTempDir("delivery"));
    ASSERT_TRUE(stack_->StartWeComSim()) << stack_->sim()->Output();
    WriteFile(stack_->dir() + "/notifyd.yml", absl::StrReplaceAll(R"(
global:
  wecom_api_url: API_URL
  language: en
route:
  receiver: ops
  group_by: [alertname]
  group_wait: 500ms
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: ops
    wecom_configs:
      - corp_id: ww-sim-corp
        agent_id: 1000002
        api_secret: sim-secret-1000002
        to_user: [zhangsan]
        message_type: markdown
)", {{"API_URL", stack_->SimApiUrl()}}));
  }

  bool StartNotifyd() {
    return stack_->StartNotifyd({"--config.file=" + stack_->dir() + "/notifyd.yml"});
  }

  // Messages the simulator delivered to zhangsan, in order.
  std::vector<std::string> Delivered() {
    auto r = HttpRequest("GET", stack_->SimUrl("/sim/messages?touser=zhangsan"));
    std::vector<std::string> out;
    if (r.status != 200) return out;
    auto json = nlohmann::json::parse(r.body, nullptr, false);
    if (json.is_discarded()) return out;
    for (const auto& m : json["messages"]) {
      out.push_back(m["content"].value("content", m["content"].dump()));
    }
    return out;
  }

  std::size_t CountContaining(const std::string& needle) {
    std::size_t n = 0;
    for (const auto& content : Delivered()) n += content.find(needle) != std::string::npos;
    return n;
  }

  HttpResult Post(const std::string& body) {
    return HttpRequest("POST", stack_->ShimUrl("/api/v2/alerts"), body);
  }

  std::unique_ptr<Stack> stack_;
};

TEST_F(DeliveryTest, OneMessagePerGroupThenAResolvedNotice) {
  ASSERT_TRUE(StartNotifyd()) << stack_->notifyd()->Output();
  ASSERT_TRUE(stack_->StartShim()) << stack_->shim()->Output();
  ASSERT_EQ(Post(R"([{"labels":{"alertname":"DiskFull","instance":"h1","severity":"critical"},
                     "annotations":{"summary":"磁盘已满"}},
                    {"labels":{"alertname":"DiskFull","instance":"h2","severity":"critical"}}])")
                .status,
            200);
  ASSERT_TRUE(WaitFor([&] { return CountContaining("DiskFull") >= 1; }, absl::Seconds(15)))
      << stack_->notifyd()->Output();
  // Re-posted (as Prometheus re-sends): no second message within repeat_interval.
  ASSERT_EQ(Post(R"([{"labels":{"alertname":"DiskFull","instance":"h1","severity":"critical"},
                     "annotations":{"summary":"磁盘已满"}}])").status, 200);
  absl::SleepFor(absl::Seconds(3));
  auto delivered = Delivered();
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_THAT(delivered[0], HasSubstr("h1"));
  EXPECT_THAT(delivered[0], HasSubstr("h2"));
  EXPECT_THAT(delivered[0], HasSubstr("磁盘已满"));

  // Resolve both: one resolved notice.
  const std::string now = absl::FormatTime(absl::RFC3339_full, absl::Now(), absl::UTCTimeZone());
  ASSERT_EQ(Post(absl::StrCat(R"([{"labels":{"alertname":"DiskFull","instance":"h1","severity":"critical"},"endsAt":")",
                              now, R"("},{"labels":{"alertname":"DiskFull","instance":"h2","severity":"critical"},"endsAt":")",
                              now, "\"}]")).status,
            200);
  ASSERT_TRUE(WaitFor([&] { return Delivered().size() == 2; }, absl::Seconds(15)));
  EXPECT_THAT(Delivered()[1], HasSubstr("[RESOLVED]"));
}

TEST_F(DeliveryTest, KillNineNeverLosesNorRepeatsANotification) {
  ASSERT_TRUE(StartNotifyd()) << stack_->notifyd()->Output();
  ASSERT_TRUE(stack_->StartShim()) << stack_->shim()->Output();
  std::mt19937 rng(20261125);
  std::vector<std::string> names;
  for (int round = 0; round < 4; ++round) {
    std::string body = "[";
    for (int i = 0; i < 5; ++i) {
      names.push_back(absl::StrCat("KillTest", round, "x", i));
      absl::StrAppend(&body, i ? "," : "", R"({"labels":{"alertname":")", names.back(),
                      R"("},"endsAt":")",
                      absl::FormatTime(absl::RFC3339_full, absl::Now() + absl::Hours(1),
                                       absl::UTCTimeZone()),
                      "\"}");
    }
    body += "]";
    ASSERT_EQ(Post(body).status, 200);  // acknowledged = durable
    // Kill somewhere around the first flush (group_wait 500 ms) of this round's groups.
    absl::SleepFor(absl::Milliseconds(std::uniform_int_distribution<int>(200, 1200)(rng)));
    stack_->StopNotifyd(SIGKILL);
    ASSERT_TRUE(StartNotifyd()) << stack_->notifyd()->Output();
  }
  // Every acknowledged alert's group is notified, each exactly once.
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& name : names) {
      if (CountContaining(name) == 0) return false;
    }
    return true;
  }, absl::Seconds(30))) << stack_->notifyd()->Output();
  absl::SleepFor(absl::Seconds(3));  // a repeat would show up within a few group_intervals
  for (const auto& name : names) EXPECT_EQ(CountContaining(name), 1u) << name;
}

TEST_F(DeliveryTest, TwoClusteredAlertmanagersDeliverOnce) {
  ASSERT_TRUE(StartNotifyd()) << stack_->notifyd()->Output();
  ASSERT_TRUE(stack_->StartShim()) << stack_->shim()->Output();
  const std::string am_config = absl::StrCat(R"(
route:
  receiver: wecom
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: wecom
    webhook_configs:
      - url: )", stack_->ShimUrl("/webhook"), "\n");
  WriteFile(stack_->dir() + "/alertmanager.yml", am_config);
  const int cluster_port[2] = {FreePort(), FreePort()};
  const int web_port[2] = {FreePort(), FreePort()};
  std::vector<std::unique_ptr<Process>> ams;
  for (int i = 0; i < 2; ++i) {
    std::vector<std::string> argv = {
        "/usr/bin/prometheus-alertmanager",
        "--config.file=" + stack_->dir() + "/alertmanager.yml",
        absl::StrCat("--storage.path=", stack_->dir(), "/am", i),
        absl::StrCat("--web.listen-address=127.0.0.1:", web_port[i]),
        absl::StrCat("--cluster.listen-address=127.0.0.1:", cluster_port[i]),
        absl::StrCat("--cluster.peer=127.0.0.1:", cluster_port[1 - i]),
        "--cluster.settle-timeout=1s", "--cluster.gossip-interval=100ms",
        "--cluster.peer-timeout=500ms"};
    auto am = Process::Start(argv, absl::StrCat(stack_->dir(), "/alertmanager", i, ".log"));
    ASSERT_TRUE(am.ok());
    ams.push_back(*std::move(am));
  }
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(WaitFor([&] {
      return HttpRequest("GET", absl::StrCat("http://127.0.0.1:", web_port[i], "/-/ready")).status == 200;
    }, absl::Seconds(20))) << ams[i]->Output();
  }
  // Prometheus posts every alert to every Alertmanager of an HA pair.
  for (int i = 0; i < 2; ++i) {
    auto r = HttpRequest("POST", absl::StrCat("http://127.0.0.1:", web_port[i], "/api/v2/alerts"),
                         R"([{"labels":{"alertname":"HaPair","severity":"warning"}}])");
    ASSERT_EQ(r.status, 200) << r.body;
  }
  ASSERT_TRUE(WaitFor([&] { return CountContaining("HaPair") >= 1; }, absl::Seconds(30)))
      << stack_->notifyd()->Output();
  // Both replicas notify (the second after its peer_timeout stagger at the latest, or at once if
  // gossip is slow); notifyd sees one alert and sends one message.
  absl::SleepFor(absl::Seconds(3));
  EXPECT_EQ(CountContaining("HaPair"), 1u);
  for (auto& am : ams) am->Stop(SIGTERM);
}

}  // namespace
}  // namespace wecom_notify::testing
