// notifyd and webhook-shim as real processes: both Alertmanager payload kinds posted over HTTP
// and listed back over gRPC; notifyd down → 5xx and not ready; bad bodies → 4xx while other
// clients are served; auth and TLS as Alertmanager's http_config uses them.

#include <gmock/gmock.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/thread_priority.h"
#include "tests/e2e/stack.h"
#include "wecom_notify/v1/notify.grpc.pb.h"

namespace wecom_notify::testing {
namespace {

using ::testing::HasSubstr;

class IngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stack_ = std::make_unique<Stack>(MakeTempDir("ingest"));
    ASSERT_TRUE(stack_->StartNotifyd()) << stack_->notifyd()->Output();
  }

  void StartShim(const std::vector<std::string>& flags = {}) {
    ASSERT_TRUE(stack_->StartShim(flags)) << stack_->shim()->Output();
  }

  HttpResult Post(const std::string& path, const std::string& body,
                  std::vector<std::string> headers = {"Content-Type: application/json"}) {
    return HttpRequest("POST", stack_->ShimUrl(path), body, headers);
  }

  std::unique_ptr<Stack> stack_;
};

TEST_F(IngestTest, ApiV2AlertsAreStoredAndListedBackOverGrpc) {
  StartShim();
  auto r = Post("/api/v2/alerts",
                R"([{"labels":{"alertname":"ApiPosted","instance":"h1"},"annotations":{"summary":"磁盘满"}}])");
  ASSERT_EQ(r.status, 200) << r.body;
  auto alerts = stack_->ListAlerts("ApiPosted");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].labels().at("instance"), "h1");
  EXPECT_EQ(alerts[0].annotations().at("summary"), "磁盘满");
  EXPECT_EQ(alerts[0].status(), wecom_notify::v1::ALERT_STATUS_FIRING);
  EXPECT_EQ(alerts[0].fingerprint().size(), 16u);
}

// The name and nice value of each of process `pid`'s threads.
std::vector<std::pair<std::string, int>> ThreadNices(int pid) {
  std::vector<std::pair<std::string, int>> nices;
  const std::string tasks = absl::StrCat("/proc/", pid, "/task");
  for (const auto& task : std::filesystem::directory_iterator(tasks)) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    int tid = 0;
    if (!absl::SimpleAtoi(task.path().filename().string(), &tid)) continue;
    nices.emplace_back(name, getpriority(PRIO_PROCESS, static_cast<id_t>(tid)));
  }
  return nices;
}

std::vector<std::string> ThreadNames(int pid) {
  std::vector<std::string> names;
  for (auto& thread : ThreadNices(pid)) names.push_back(std::move(thread.first));
  return names;
}

// The shim's client of notifyd answers on one completion thread of its own, and notifyd serves
// Notify on one of its own; each must be the only thread polling gRPC in its process
// (libs/common/completion_queue_thread.h): a use of gRPC's callback API anywhere in either
// process would start gRPC's callback threads, named "nexting_thread" in gRPC 1.51.
TEST_F(IngestTest, ShimAndNotifydEachPollGrpcOnOneThreadOfTheirOwn) {
  StartShim();
  for (int i = 0; i < 20; ++i) {
    auto r = Post("/api/v2/alerts",
                  absl::StrCat(R"([{"labels":{"alertname":"Polled","n":")", i, R"("}}])"));
    ASSERT_EQ(r.status, 200) << r.body;
  }
  ASSERT_EQ(HttpRequest("GET", stack_->ShimUrl("/api/v2/alerts"), "", {}).status, 200);
  ASSERT_EQ(HttpRequest("GET", stack_->ShimUrl("/-/ready"), "", {}).status, 200);
  // notifyd's other gRPC methods: a unary Notify, ListAlerts and the health service.
  auto notify = wecom_notify::v1::Notify::NewStub(
      grpc::CreateChannel(stack_->grpc_address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  wecom_notify::v1::NotifyRequest request;
  (*request.add_alerts()->mutable_labels())["alertname"] = "PolledUnary";
  wecom_notify::v1::NotifyResponse response;
  ASSERT_TRUE(notify->Notify(&context, request, &response).ok());
  EXPECT_EQ(stack_->ListAlerts("PolledUnary").size(), 1u);
  ASSERT_TRUE(stack_->NotifydServing());

  const std::vector<std::string> shim = ThreadNames(stack_->shim()->pid());
  EXPECT_EQ(std::count(shim.begin(), shim.end(), "notify-client"), 1) << absl::StrJoin(shim, ",");
  EXPECT_EQ(std::count(shim.begin(), shim.end(), "nexting_thread"), 0) << absl::StrJoin(shim, ",");
  const std::vector<std::string> notifyd = ThreadNames(stack_->notifyd()->pid());
  EXPECT_EQ(std::count(notifyd.begin(), notifyd.end(), "notify-server"), 1)
      << absl::StrJoin(notifyd, ",");
  EXPECT_EQ(std::count(notifyd.begin(), notifyd.end(), "nexting_thread"), 0)
      << absl::StrJoin(notifyd, ",");
}

// Each long-lived thread is named by its job, so that `top -H`, perf and /proc tell them apart
// (docs/performance.md's per-thread accounting reads these names).
TEST_F(IngestTest, LongLivedThreadsAreNamedByTheirJob) {
  StartShim();
  EXPECT_THAT(ThreadNames(stack_->notifyd()->pid()),
              ::testing::IsSupersetOf(
                  {"notify-server", "committer", "wal-checkpoint", "maintenance", "http-io"}));
  EXPECT_THAT(ThreadNames(stack_->shim()->pid()),
              ::testing::IsSupersetOf({"notify-client", "http-io", "listing"}));
}

// Listing every alert is bulk work: the threads doing it run below ingest's priority in both
// processes (libs/common/thread_priority.h); the ingest path's threads keep the process's.
TEST_F(IngestTest, ListingsRunBelowTheIngestThreadsPriority) {
  StartShim();
  ASSERT_EQ(Post("/api/v2/alerts", R"([{"labels":{"alertname":"Listed"}}])").status, 200);
  ASSERT_EQ(HttpRequest("GET", stack_->ShimUrl("/api/v2/alerts"), "", {}).status, 200);
  const int base = getpriority(PRIO_PROCESS, 0);  // the processes inherit the test's
  const int bulk = std::max(base, kBulkWorkNice);
  ASSERT_GT(bulk, base) << "the test runs at nice " << base << " already";
  using ::testing::Contains;
  using ::testing::Pair;
  const auto shim = ThreadNices(stack_->shim()->pid());
  EXPECT_THAT(shim, Contains(Pair("listing", bulk)));
  EXPECT_THAT(shim, Contains(Pair("http-io", bulk)).Times(0));
  EXPECT_THAT(shim, Contains(Pair("notify-client", base)));
  // notifyd lists on a thread of gRPC's synchronous server.
  const auto notifyd = ThreadNices(stack_->notifyd()->pid());
  EXPECT_THAT(notifyd, Contains(Pair(::testing::StartsWith("grpcpp_sync"), bulk)));
  for (const char* ingest : {"notify-server", "committer", "http-io", "dispatch"}) {
    EXPECT_THAT(notifyd, Contains(Pair(ingest, bulk)).Times(0)) << ingest;
  }
}

TEST_F(IngestTest, WebhookPayloadIsAcceptedOnBothPaths) {
  StartShim();
  const std::string webhook =
      R"({"version":"4","receiver":"wecom","status":"firing","groupKey":"{}:{alertname=\"Hooked\"}","alerts":[
        {"status":"firing","labels":{"alertname":"Hooked","instance":"a"},"startsAt":"2026-11-25T04:59:16.576Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"x"},
        {"status":"firing","labels":{"alertname":"Hooked","instance":"b"},"startsAt":"2026-11-25T04:59:16.576Z","endsAt":"0001-01-01T00:00:00Z"}]})";
  ASSERT_EQ(Post("/webhook", webhook).status, 200);
  EXPECT_EQ(stack_->ListAlerts("Hooked").size(), 2u);

  std::string on_api_path = webhook;
  on_api_path.replace(on_api_path.find("\"instance\":\"a\""), 14, "\"instance\":\"c\"");
  ASSERT_EQ(Post("/api/v2/alerts", on_api_path).status, 200);
  EXPECT_EQ(stack_->ListAlerts("Hooked").size(), 3u);
}

TEST_F(IngestTest, InvalidAlertsAreRejectedByNameValidOnesKept) {
  StartShim();
  auto r = Post("/api/v2/alerts",
                R"([{"labels":{"alertname":"Kept"}},{"labels":{"alertname":"x","0bad":"v"}},{"labels":{}}])");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("[1].labels.0bad: invalid label set: invalid name \\\"0bad\\\""));
  EXPECT_THAT(r.body, HasSubstr("[2].labels: at least one label pair required"));
  EXPECT_EQ(stack_->ListAlerts("Kept").size(), 1u);
}

TEST_F(IngestTest, NotifydDownMeans5xxAndNotReadyThenRecovers) {
  StartShim();
  stack_->StopNotifyd(SIGTERM);
  auto r = Post("/api/v2/alerts", R"([{"labels":{"alertname":"WhileDown"}}])");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(HttpRequest("GET", stack_->ShimUrl("/-/ready")).status, 503);
  EXPECT_EQ(HttpRequest("GET", stack_->ShimUrl("/-/healthy")).status, 200);

  ASSERT_TRUE(stack_->StartNotifyd()) << stack_->notifyd()->Output();
  EXPECT_TRUE(WaitFor([&] { return HttpRequest("GET", stack_->ShimUrl("/-/ready")).status == 200; },
                      absl::Seconds(10)));
  EXPECT_TRUE(WaitFor([&] {
    return Post("/api/v2/alerts", R"([{"labels":{"alertname":"AfterRestart"}}])").status == 200;
  }, absl::Seconds(10)));
  EXPECT_EQ(stack_->ListAlerts("AfterRestart").size(), 1u);
}

TEST_F(IngestTest, ARestartedNotifydMovesToFreshPortsWhenItsOwnWasTaken) {
  // What a parallel test's listener on the old port does to a restart (the stack retries).
  stack_->StopNotifyd(SIGTERM);
  const std::string old_address = stack_->grpc_address();
  const int taker = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(taker, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(old_address.substr(10))));
  ASSERT_EQ(bind(taker, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(taker, 1), 0);

  ASSERT_TRUE(stack_->StartNotifyd()) << stack_->notifyd()->Output();
  EXPECT_NE(stack_->grpc_address(), old_address);
  grpc::Status status;
  stack_->ListAlerts("", &status);
  EXPECT_TRUE(status.ok()) << status.error_message();
  close(taker);
}

TEST_F(IngestTest, BadBodiesGet4xxWhileOtherClientsAreServed) {
  StartShim({"--web.max-body-bytes=65536"});
  std::atomic<bool> stop{false};
  std::atomic<int> good{0}, bad_answers{0};
  std::thread steady([&] {
    for (int i = 0; i < 2000 && !stop; ++i) {
      auto r = Post("/api/v2/alerts",
                    absl::StrCat(R"([{"labels":{"alertname":"Steady","i":")", i % 5, "\"}}]"));
      (r.status == 200 ? good : bad_answers)++;
    }
  });
  const std::string valid = R"([{"labels":{"alertname":"Bad"}}])";
  for (int round = 0; round < 5; ++round) {
    EXPECT_EQ(Post("/api/v2/alerts", "{not json").status, 400);
    EXPECT_EQ(Post("/api/v2/alerts", valid.substr(0, valid.size() - 4)).status, 400);
    EXPECT_EQ(Post("/api/v2/alerts", "[{\"labels\":{\"alertname\":\"\xc3\x28\"}}]").status, 400);
    EXPECT_EQ(Post("/api/v2/alerts", std::string(70000, '[')).status, 413);
    EXPECT_EQ(Post("/api/v2/alerts", valid, {"Content-Type: text/plain"}).status, 415);
    EXPECT_EQ(Post("/webhook", "[]").status, 400);
  }
  const auto malformed = Post("/api/v2/alerts", R"([{"labels":{"alertname":7}}])");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_THAT(malformed.body, HasSubstr("[0].labels.alertname: expected a string, got number"));
  absl::SleepFor(absl::Milliseconds(200));
  stop = true;
  steady.join();
  EXPECT_GT(good.load(), 0);
  EXPECT_EQ(bad_answers.load(), 0);
  EXPECT_TRUE(stack_->shim()->Running());
  EXPECT_EQ(stack_->ListAlerts("Bad").size(), 0u);
}

TEST_F(IngestTest, BearerTokenIsRequiredWhenConfigured) {
  const std::string token_file = stack_->dir() + "/token";
  WriteFile(token_file, "s3cret-token\n");
  StartShim({"--web.auth.bearer-token-file=" + token_file});
  const std::string body = R"([{"labels":{"alertname":"Authed"}}])";
  EXPECT_EQ(Post("/api/v2/alerts", body).status, 401);
  EXPECT_EQ(Post("/api/v2/alerts", body,
                 {"Content-Type: application/json", "Authorization: Bearer wrong"}).status, 401);
  EXPECT_EQ(Post("/api/v2/alerts", body,
                 {"Content-Type: application/json", "Authorization: Bearer s3cret-token"}).status,
            200);
  EXPECT_EQ(stack_->ListAlerts("Authed").size(), 1u);
  EXPECT_THAT(stack_->shim()->Output(), ::testing::Not(HasSubstr("s3cret-token")));
}

// A Kubernetes Secret holding the token is rotated: Alertmanager reads its credentials_file for
// every request, so the shim must take the new token as soon as the file changes, and (with no
// rotation grace) refuse the old one; a file emptied by mistake keeps the token in use.
TEST_F(IngestTest, RotatedCredentialFilesApplyWithoutARestart) {
  const std::string token_file = stack_->dir() + "/token";
  WriteFile(token_file, "token-one\n");
  StartShim({"--web.auth.bearer-token-file=" + token_file, "--web.auth.watch-interval=100ms",
             "--web.auth.rotation-grace=0"});
  const std::string body = R"([{"labels":{"alertname":"Rotated"}}])";
  auto post_with = [&](const std::string& token) {
    return Post("/api/v2/alerts", body,
                {"Content-Type: application/json", "Authorization: Bearer " + token})
        .status;
  };
  EXPECT_EQ(post_with("token-one"), 200);
  EXPECT_EQ(post_with("token-two"), 401);

  WriteFile(token_file, "token-two\n");
  EXPECT_TRUE(WaitFor([&] { return post_with("token-two") == 200; }, absl::Seconds(10)))
      << stack_->shim()->Output();
  EXPECT_EQ(post_with("token-one"), 401);

  WriteFile(token_file, "\n");
  absl::SleepFor(absl::Milliseconds(500));  // five polls
  EXPECT_EQ(post_with("token-two"), 200);
  const std::string log = stack_->shim()->Output();
  EXPECT_THAT(log, HasSubstr("secret file changed; in use now"));
  EXPECT_THAT(log, HasSubstr("is empty"));
  EXPECT_THAT(log, ::testing::Not(HasSubstr("token-one")));
  EXPECT_THAT(log, ::testing::Not(HasSubstr("token-two")));
}

// By default the replaced token is still accepted for a while: the Alertmanager whose Secret
// mount is updated later than the shim's keeps sending it, and would not retry a 401.
TEST_F(IngestTest, ReplacedTokenIsAcceptedDuringTheRotationGrace) {
  const std::string token_file = stack_->dir() + "/token";
  WriteFile(token_file, "token-one\n");
  StartShim({"--web.auth.bearer-token-file=" + token_file, "--web.auth.watch-interval=100ms"});
  auto post_with = [&](const std::string& token) {
    return Post("/api/v2/alerts", R"([{"labels":{"alertname":"InGrace"}}])",
                {"Content-Type: application/json", "Authorization: Bearer " + token})
        .status;
  };
  WriteFile(token_file, "token-two\n");
  EXPECT_TRUE(WaitFor([&] { return post_with("token-two") == 200; }, absl::Seconds(10)))
      << stack_->shim()->Output();
  EXPECT_EQ(post_with("token-one"), 200);  // within the default 5m grace
  EXPECT_EQ(post_with("token-three"), 401);
}

TEST_F(IngestTest, BasicAuthMatchesWhatAlertmanagerSends) {
  const std::string password_file = stack_->dir() + "/password";
  WriteFile(password_file, "pass1");
  StartShim({"--web.auth.basic-username=user1", "--web.auth.basic-password-file=" + password_file});
  const std::string body = R"([{"labels":{"alertname":"Basic"}}])";
  EXPECT_EQ(Post("/webhook", R"({"alerts":[]})").status, 401);
  // Alertmanager's basic_auth {username: user1, password: pass1} sends exactly this header.
  EXPECT_EQ(Post("/api/v2/alerts", body,
                 {"Content-Type: application/json", "Authorization: Basic dXNlcjE6cGFzczE="}).status,
            200);
}

TEST_F(IngestTest, ServesHttpsWithTls) {
  auto tls = MakeSelfSignedCert(stack_->dir());
  ASSERT_TRUE(tls.ok()) << tls.status();
  StartShim({"--web.tls-cert-file=" + tls->cert, "--web.tls-key-file=" + tls->key});
  auto r = HttpRequest("POST", stack_->ShimUrl("/api/v2/alerts", "https"),
                       R"([{"labels":{"alertname":"OverTls"}}])");
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(HttpRequest("GET", stack_->ShimUrl("/-/healthy")).status, 0);  // plain HTTP refused
  EXPECT_EQ(stack_->ListAlerts("OverTls").size(), 1u);
}

TEST_F(IngestTest, GetAlertsAnswersInAlertmanagerShape) {
  StartShim();
  ASSERT_EQ(Post("/api/v2/alerts", R"([{"labels":{"alertname":"Shown","severity":"critical"}},
                                       {"labels":{"alertname":"Hidden"}}])").status, 200);
  auto r = HttpRequest("GET", stack_->ShimUrl("/api/v2/alerts?filter=alertname%3D%22Shown%22"));
  ASSERT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr(R"("labels":{"alertname":"Shown","severity":"critical"})"));
  EXPECT_THAT(r.body, ::testing::Not(HasSubstr("Hidden")));
  EXPECT_EQ(HttpRequest("GET", stack_->ShimUrl("/api/v2/alerts?filter=alertname%3D~%22(%22")).status,
            400);
}

TEST_F(IngestTest, MetricsCountReceivedAndInvalidAlerts) {
  StartShim();
  ASSERT_EQ(Post("/api/v2/alerts", R"([{"labels":{"alertname":"Counted"}},{"labels":{"a-b":"x"}}])").status,
            400);
  auto notifyd_metrics = HttpRequest("GET", stack_->NotifydWebUrl("/metrics"));
  ASSERT_EQ(notifyd_metrics.status, 200);
  EXPECT_THAT(notifyd_metrics.body,
              HasSubstr(R"(wecom_notify_alerts_received_total{source="api",status="firing"} 2)"));
  EXPECT_THAT(notifyd_metrics.body,
              HasSubstr(R"(wecom_notify_alerts_invalid_total{reason="invalid_label",source="api"} 1)"));
  auto shim_metrics = HttpRequest("GET", stack_->ShimUrl("/metrics"));
  EXPECT_THAT(shim_metrics.body,
              HasSubstr(R"(wecom_notify_shim_http_requests_total{code="400",handler="api_v2_alerts_post"} 1)"));
  EXPECT_EQ(HttpRequest("GET", stack_->NotifydWebUrl("/-/healthy")).status, 200);
}

}  // namespace
}  // namespace wecom_notify::testing
