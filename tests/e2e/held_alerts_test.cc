// notifyd in-process: with a durable store, held alerts leave their annotations to it (most of
// an alert's memory beyond its labels) and listings read them back; without one, memory holds
// them. Either way a client sees the same alert.

#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "libs/alert/fingerprint.h"
#include "libs/common/clock.h"
#include "libs/notify_server/notify_server.h"
#include "tests/testing/testing.h"

namespace wecom_notify::notify_server {
namespace {

// Starts notifyd with `storage_path` (empty: memory only), posts one alert with a summary over
// gRPC, and returns the server with the alert's fingerprint.
std::unique_ptr<NotifyServer> StartAndPost(const std::string& storage_path, uint64_t* fingerprint) {
  NotifyServerOptions options;
  options.grpc_listen_address = "127.0.0.1:0";
  options.web_listen_address = "127.0.0.1:0";
  options.storage_path = storage_path;
  auto server = NotifyServer::Start(options, Clock::Real());
  EXPECT_TRUE(server.ok()) << server.status();
  if (!server.ok()) return nullptr;
  auto stub = wecom_notify::v1::Notify::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", (*server)->grpc_port()), grpc::InsecureChannelCredentials()));
  wecom_notify::v1::NotifyRequest request;
  auto* posted = request.add_alerts();
  (*posted->mutable_labels())["alertname"] = "DiskFull";
  (*posted->mutable_annotations())["summary"] = "磁盘 /data 已满";
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

TEST(HeldAlertsTest, WithADurableStoreAnnotationsAreReadFromItNotHeld) {
  uint64_t fingerprint = 0;
  auto server = StartAndPost(testing::MakeTempDir("held-alerts"), &fingerprint);
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->store().Get(fingerprint).has_value());
  EXPECT_TRUE(server->store().Get(fingerprint)->annotations.empty());
  EXPECT_EQ(ListedSummary(*server), "磁盘 /data 已满");
  server->Shutdown();
}

TEST(HeldAlertsTest, WithoutADurableStoreAnnotationsAreHeld) {
  uint64_t fingerprint = 0;
  auto server = StartAndPost("", &fingerprint);
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->store().Get(fingerprint).has_value());
  EXPECT_EQ(*server->store().Get(fingerprint)->annotations.Get("summary"), "磁盘 /data 已满");
  EXPECT_EQ(ListedSummary(*server), "磁盘 /data 已满");
  server->Shutdown();
}

}  // namespace
}  // namespace wecom_notify::notify_server
