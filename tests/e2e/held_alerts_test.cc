// notifyd in-process: with a durable store, held alerts leave their annotations to it (most of
// an alert's memory beyond its labels) and listings and notifications read them back; without
// one, the alert store keeps them aside. Either way a client and a WeCom user see the same
// alert.

#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/alert/fingerprint.h"
#include "libs/common/clock.h"
#include "libs/config/config.h"
#include "libs/notify_server/notify_server.h"
#include "tests/testing/testing.h"
#include "tests/wecom/fake_wecom.h"

namespace wecom_notify::notify_server {
namespace {

// Every alert goes at once to one WeCom app user.
constexpr char kConfig[] = R"(
route:
  receiver: ops
  group_wait: 0s
receivers:
  - name: ops
    wecom_configs:
      - corp_id: ww-test
        agent_id: 1000002
        api_secret: test-secret
        to_user: [zhangsan]
)";

// Starts notifyd with `storage_path` (empty: memory only) sending to `wecom`, posts one alert
// with a summary over gRPC, and returns the server with the alert's fingerprint.
std::unique_ptr<NotifyServer> StartAndPost(const std::string& storage_path,
                                           std::unique_ptr<wecom::HttpTransport> wecom,
                                           uint64_t* fingerprint) {
  NotifyServerOptions options;
  options.grpc_listen_address = "127.0.0.1:0";
  options.web_listen_address = "127.0.0.1:0";
  options.storage_path = storage_path;
  auto config = config::ParseConfig(kConfig, "held_alerts_test.yml");
  EXPECT_TRUE(config.ok()) << config.status();
  if (!config.ok()) return nullptr;
  options.config = *std::move(config);
  auto server = NotifyServer::Start(options, Clock::Real(), std::move(wecom));
  EXPECT_TRUE(server.ok()) << server.status();
  if (!server.ok()) return nullptr;
  auto stub = wecom_notify::v1::Notify::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", (*server)->grpc_port()), grpc::InsecureChannelCredentials()));
  wecom_notify::v1::NotifyRequest request;
  auto* posted = request.add_alerts();
  (*posted->mutable_labels())["alertname"] = "DiskFull";
  (*posted->mutable_annotations())["summary"] = "disk /data is full";
  wecom_notify::v1::NotifyResponse response;
  grpc::ClientContext context;
  EXPECT_TRUE(stub->Notify(&context, request, &response).ok());
  EXPECT_EQ(response.accepted(), 1);
  *fingerprint = alert::Fingerprint(alert::LabelSet({{"alertname", "DiskFull"}}));
  return *std::move(server);
}

// The summary of the only alert a ListAlerts call answers, or "" when it has none.
std::string ListedSummary(NotifyServer& server) {
  auto stub = wecom_notify::v1::Notify::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", server.grpc_port()), grpc::InsecureChannelCredentials()));
  wecom_notify::v1::ListAlertsResponse listed;
  grpc::ClientContext context;
  EXPECT_TRUE(stub->ListAlerts(&context, wecom_notify::v1::ListAlertsRequest(), &listed).ok());
  EXPECT_EQ(listed.alerts_size(), 1);
  if (listed.alerts_size() != 1) return "";
  const auto summary = listed.alerts(0).annotations().find("summary");
  return summary == listed.alerts(0).annotations().end() ? "" : summary->second;
}

// The body of the first message notifyd sent to `wecom`, or "" when none came within 10 s.
std::string FirstMessageSent(const wecom::testing::FakeWeCom& wecom) {
  testing::WaitFor([&] { return !wecom.Requests("/message/send?").empty(); }, absl::Seconds(10));
  const auto sent = wecom.Requests("/message/send?");
  return sent.empty() ? "" : sent.front().request.body;
}

TEST(HeldAlertsTest, WithADurableStoreAnnotationsAreReadFromItNotHeld) {
  auto wecom = std::make_unique<wecom::testing::FakeWeCom>(Clock::Real());
  const wecom::testing::FakeWeCom& sent = *wecom;
  uint64_t fingerprint = 0;
  auto server = StartAndPost(testing::MakeTempDir("held-alerts"), std::move(wecom), &fingerprint);
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->store().Get(fingerprint).has_value());
  EXPECT_TRUE(server->store().Get(fingerprint)->annotations.empty());
  EXPECT_EQ(ListedSummary(*server), "disk /data is full");
  EXPECT_TRUE(absl::StrContains(FirstMessageSent(sent), "disk /data is full"));
  server->Shutdown();
}

TEST(HeldAlertsTest, WithoutADurableStoreTheAlertStoreKeepsThem) {
  auto wecom = std::make_unique<wecom::testing::FakeWeCom>(Clock::Real());
  const wecom::testing::FakeWeCom& sent = *wecom;
  uint64_t fingerprint = 0;
  auto server = StartAndPost("", std::move(wecom), &fingerprint);
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->store().Get(fingerprint).has_value());
  EXPECT_EQ(*server->store().Get(fingerprint)->annotations.Get("summary"), "disk /data is full");
  EXPECT_EQ(ListedSummary(*server), "disk /data is full");
  EXPECT_TRUE(absl::StrContains(FirstMessageSent(sent), "disk /data is full"));
  server->Shutdown();
}

}  // namespace
}  // namespace wecom_notify::notify_server
