// notifyd and the shim with Debian's real Prometheus (2.42), promtool and Alertmanager, all on
// 127.0.0.1 with free ports and bounded waits:
//   - `promtool check metrics` accepts the real /metrics of notifyd (with delivery metrics
//     present), of the shim and of the WeCom simulator, without lint warnings;
//   - a Prometheus alerting rule that fires, sent straight to the shim as Prometheus'
//     Alertmanager, becomes one WeCom message per group, then one resolved notice when the rule
//     stops firing; Prometheus scrapes notifyd and the shim and PromQL sees the notifications;
//   - the same through a real Alertmanager and its webhook receiver.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

#include <cctype>
#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "tests/e2e/stack.h"

namespace wecom_notify::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPrometheus[] = "/usr/bin/prometheus";
constexpr char kPromtool[] = "/usr/bin/promtool";
constexpr char kAlertmanager[] = "/usr/bin/prometheus-alertmanager";

// "127.0.0.1:P" of an http://127.0.0.1:P URL.
std::string HostPort(const std::string& url) {
  return std::string(absl::StripPrefix(url, "http://"));
}

// Percent-encodes a query-string value.
std::string UrlEncode(const std::string& value) {
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      absl::StrAppend(&out, "%", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return out;
}

// Runs `command` through /bin/sh, bounded by timeout(1); its exit status and combined output.
std::pair<int, std::string> RunShell(const std::string& command) {
  std::string output;
  FILE* pipe = popen(absl::StrCat("timeout 30 ", command, " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  char buffer[4096];
  std::size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

class PrometheusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stack_ = std::make_unique<Stack>(MakeTempDir("prometheus"));
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
        send_resolved: true
)", {{"API_URL", stack_->SimApiUrl()}}));
    ASSERT_TRUE(stack_->StartNotifyd({"--config.file=" + stack_->dir() + "/notifyd.yml"}))
        << stack_->notifyd()->Output();
    ASSERT_TRUE(stack_->StartShim()) << stack_->shim()->Output();
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

  std::vector<std::string> DeliveredContaining(const std::string& needle) {
    std::vector<std::string> out;
    for (auto& content : Delivered()) {
      if (content.find(needle) != std::string::npos) out.push_back(std::move(content));
    }
    return out;
  }

  // Writes a rule file with alert `name`: two series (instance pe2e-a, pe2e-b) firing until
  // `stop`, then resolved. Rewriting it with an earlier `stop` and reloading Prometheus keeps
  // the alerts' state (same rule name and labels), so they resolve.
  std::string WriteRules(const std::string& name, absl::Time stop) {
    const int64_t stop_seconds = absl::ToUnixSeconds(stop);
    const std::string path = stack_->dir() + "/rules-" + name + ".yml";
    WriteFile(path, absl::StrCat(R"(
groups:
  - name: e2e
    interval: 1s
    rules:
      - alert: )", name, R"(
        expr: |
          (label_replace(vector(1), "instance", "pe2e-a", "", "")
            or label_replace(vector(1), "instance", "pe2e-b", "", ""))
          and on() (vector(time()) < )", stop_seconds, R"()
        for: 0s
        labels:
          severity: warning
        annotations:
          summary: raised by a Prometheus rule
)"));
    return path;
  }

  // Starts Prometheus evaluating `rules`, posting alerts to `alertmanager` (host:port) and
  // scraping notifyd and the shim; true once ready.
  bool StartPrometheus(const std::string& rules, const std::string& alertmanager) {
    prometheus_port_ = FreePort();
    const std::string config = absl::StrCat(R"(
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [")", rules, R"("]
alerting:
  alertmanagers:
    - api_version: v2
      static_configs:
        - targets: [")", alertmanager, R"("]
scrape_configs:
  - job_name: notifyd
    static_configs:
      - targets: [")", HostPort(stack_->NotifydWebUrl("")), R"("]
  - job_name: webhook-shim
    static_configs:
      - targets: [")", HostPort(stack_->ShimUrl("")), R"("]
)");
    WriteFile(stack_->dir() + "/prometheus.yml", config);
    auto process = Process::Start(
        {kPrometheus, "--config.file=" + stack_->dir() + "/prometheus.yml",
         "--storage.tsdb.path=" + stack_->dir() + "/tsdb",
         absl::StrCat("--web.listen-address=127.0.0.1:", prometheus_port_),
         "--rules.alert.resend-delay=1s", "--log.level=warn"},
        stack_->dir() + "/prometheus.log");
    if (!process.ok()) return false;
    prometheus_ = *std::move(process);
    return WaitFor([&] { return HttpRequest("GET", PrometheusUrl("/-/ready")).status == 200; },
                   absl::Seconds(20));
  }

  std::string PrometheusUrl(const std::string& path) const {
    return absl::StrCat("http://127.0.0.1:", prometheus_port_, path);
  }

  // The value of a one-element instant-vector PromQL query, or -1.
  double QueryScalar(const std::string& promql) {
    auto r = HttpRequest("GET", PrometheusUrl("/api/v1/query?query=" + UrlEncode(promql)));
    if (r.status != 200) return -1;
    auto json = nlohmann::json::parse(r.body, nullptr, false);
    if (json.is_discarded() || json["data"]["result"].size() != 1) return -1;
    return std::stod(json["data"]["result"][0]["value"][1].get<std::string>());
  }

  // Expects one firing message for the group of alert `name` with both instances, then stops
  // the rule and expects exactly one resolved notice. Prometheus discovers its Alertmanager
  // only after its first service-discovery update (up to ~5 s), so the rule fires until the
  // message was seen rather than for a fixed time.
  void ExpectOneMessageThenResolved(const std::string& name) {
    ASSERT_TRUE(WaitFor([&] { return !DeliveredContaining(name).empty(); }, absl::Seconds(40)))
        << stack_->notifyd()->Output() << prometheus_->Output();
    auto firing = DeliveredContaining(name);
    ASSERT_EQ(firing.size(), 1u);
    EXPECT_THAT(firing[0], HasSubstr("pe2e-a"));
    EXPECT_THAT(firing[0], HasSubstr("pe2e-b"));
    EXPECT_THAT(firing[0], HasSubstr("raised by a Prometheus rule"));
    EXPECT_THAT(firing[0], Not(HasSubstr("[RESOLVED]")));
    // Prometheus re-sends the firing alerts every second: still one message.
    absl::SleepFor(absl::Seconds(2));
    ASSERT_EQ(DeliveredContaining(name).size(), 1u)
        << absl::StrJoin(DeliveredContaining(name), "\n---\n") << stack_->notifyd()->Output();
    WriteRules(name, absl::Now());
    ASSERT_EQ(kill(prometheus_->pid(), SIGHUP), 0);
    ASSERT_TRUE(WaitFor([&] { return DeliveredContaining(name).size() >= 2; }, absl::Seconds(20)))
        << stack_->notifyd()->Output();
    absl::SleepFor(absl::Seconds(2));  // a repeat would show up within two group_intervals
    auto all = DeliveredContaining(name);
    ASSERT_EQ(all.size(), 2u) << absl::StrJoin(all, "\n---\n") << stack_->notifyd()->Output();
    EXPECT_THAT(all[1], HasSubstr("[RESOLVED]"));
  }

  std::unique_ptr<Stack> stack_;
  int prometheus_port_ = 0;
  std::unique_ptr<Process> prometheus_;
};

TEST_F(PrometheusTest, PromtoolAcceptsTheRealMetrics) {
  // A delivered notification, so dispatch and WeCom metrics have series.
  ASSERT_EQ(HttpRequest("POST", stack_->ShimUrl("/api/v2/alerts"),
                        R"([{"labels":{"alertname":"LintMe","instance":"h1"}}])").status,
            200);
  ASSERT_TRUE(WaitFor([&] { return !DeliveredContaining("LintMe").empty(); },
                      absl::Seconds(15)))
      << stack_->notifyd()->Output();
  // The simulator has the message before notifyd has the simulator's answer and counts it.
  const std::string counted =
      "wecom_notify_notifications_total{integration=\"wecom_app\",receiver=\"ops\"} 1\n";
  ASSERT_TRUE(WaitFor(
      [&] {
        return absl::StrContains(HttpRequest("GET", stack_->NotifydWebUrl("/metrics")).body,
                                 counted);
      },
      absl::Seconds(10)))
      << stack_->notifyd()->Output();
  for (const auto& [name, url] : {std::pair<std::string, std::string>{
                                      "notifyd", stack_->NotifydWebUrl("/metrics")},
                                  {"webhook-shim", stack_->ShimUrl("/metrics")},
                                  {"wecom-sim", stack_->SimUrl("/metrics")}}) {
    SCOPED_TRACE(name);
    auto r = HttpRequest("GET", url);
    ASSERT_EQ(r.status, 200);
    if (name == "notifyd") {
      EXPECT_THAT(r.body, HasSubstr(counted));
      EXPECT_THAT(r.body, HasSubstr("wecom_notify_notification_latency_seconds_count"
                                    "{integration=\"wecom_app\"} 1\n"));
      EXPECT_THAT(r.body, HasSubstr("wecom_notify_storage_batches_total"));
      EXPECT_THAT(r.body, HasSubstr("wecom_notify_config_last_reload_successful 1\n"));
    }
    const std::string path = absl::StrCat(stack_->dir(), "/", name, ".metrics");
    WriteFile(path, r.body);
    auto [code, output] = RunShell(absl::StrCat(kPromtool, " check metrics < ", path));
    EXPECT_EQ(code, 0) << output;
    EXPECT_EQ(output, "") << "promtool reported problems:\n" << output;
  }
}

TEST_F(PrometheusTest, ConfigReloadMetricsFollowSighup) {
  auto metric = [&](const std::string& name) -> double {
    auto r = HttpRequest("GET", stack_->NotifydWebUrl("/metrics"));
    const std::size_t at = r.body.find("\n" + name + " ");
    if (r.status != 200 || at == std::string::npos) return -1;
    return std::stod(r.body.substr(at + name.size() + 2));
  };
  const double started = metric("wecom_notify_config_last_reload_success_timestamp_seconds");
  EXPECT_GT(started, 0);
  EXPECT_EQ(metric("wecom_notify_config_last_reload_successful"), 1);
  const std::string path = stack_->dir() + "/notifyd.yml";
  const std::string good = ReadFile(path);
  WriteFile(path, good + "\nunknown_key: 1\n");
  ASSERT_EQ(kill(stack_->notifyd()->pid(), SIGHUP), 0);
  EXPECT_TRUE(WaitFor([&] { return metric("wecom_notify_config_last_reload_successful") == 0; },
                      absl::Seconds(10)));
  EXPECT_EQ(metric("wecom_notify_config_last_reload_success_timestamp_seconds"), started);
  absl::SleepFor(absl::Milliseconds(20));
  WriteFile(path, good);
  ASSERT_EQ(kill(stack_->notifyd()->pid(), SIGHUP), 0);
  EXPECT_TRUE(WaitFor([&] { return metric("wecom_notify_config_last_reload_successful") == 1; },
                      absl::Seconds(10)));
  EXPECT_GT(metric("wecom_notify_config_last_reload_success_timestamp_seconds"), started);
}

TEST_F(PrometheusTest, RuleToShimToWeComThenResolvedAndScraped) {
  ASSERT_TRUE(StartPrometheus(WriteRules("PromStraightToShim", absl::Now() + absl::Hours(1)),
                              HostPort(stack_->ShimUrl(""))))
      << prometheus_->Output();
  ExpectOneMessageThenResolved("PromStraightToShim");
  // (c) Prometheus scraped notifyd and the shim: PromQL sees the notifications sent.
  EXPECT_TRUE(WaitFor([&] {
    return QueryScalar("sum(wecom_notify_notifications_total)") >= 2 &&
           QueryScalar("sum(up{job=~\"notifyd|webhook-shim\"})") == 2;
  }, absl::Seconds(10))) << HttpRequest("GET", PrometheusUrl(
                                "/api/v1/query?query=wecom_notify_notifications_total")).body;
  EXPECT_GT(QueryScalar("sum(wecom_notify_shim_http_requests_total)"), 0);
  prometheus_->Stop(SIGTERM);
}

// Alertmanager's group_wait is 10s: Alertmanager flushes a new group at once when its alert
// started more than group_wait ago, and the rule's alerts reach it seconds after they started
// (Prometheus holds them until it has discovered its Alertmanager, up to ~5 s). With a shorter
// group_wait the flush may run as soon as the first of the two alerts is in, the second
// following a group_interval later — two webhooks further apart than notifyd's group_wait, so
// two messages (Alertmanager's semantics; seen in CI with 1s).
TEST_F(PrometheusTest, RuleToAlertmanagerToWebhookToWeComThenResolved) {
  const int am_port = FreePort();
  WriteFile(stack_->dir() + "/alertmanager.yml", absl::StrCat(R"(
route:
  receiver: wecom
  group_by: [alertname]
  group_wait: 10s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: wecom
    webhook_configs:
      - url: )",
                                                              stack_->ShimUrl("/webhook"), "\n"));
  auto am = Process::Start(
      {kAlertmanager, "--config.file=" + stack_->dir() + "/alertmanager.yml",
       "--storage.path=" + stack_->dir() + "/am",
       absl::StrCat("--web.listen-address=127.0.0.1:", am_port), "--cluster.listen-address="},
      stack_->dir() + "/alertmanager.log");
  ASSERT_TRUE(am.ok());
  ASSERT_TRUE(WaitFor([&] {
    return HttpRequest("GET", absl::StrCat("http://127.0.0.1:", am_port, "/-/ready")).status ==
           200;
  }, absl::Seconds(20))) << (*am)->Output();
  ASSERT_TRUE(StartPrometheus(WriteRules("PromViaAlertmanager", absl::Now() + absl::Hours(1)),
                              absl::StrCat("127.0.0.1:", am_port)))
      << prometheus_->Output();
  ExpectOneMessageThenResolved("PromViaAlertmanager");
  prometheus_->Stop(SIGTERM);
  (*am)->Stop(SIGTERM);
}

}  // namespace
}  // namespace wecom_notify::testing
