// notifyd in-process: resolved alerts and expired notification-log entries are pruned from
// memory and from the durable store, so a long-running notifyd does not grow without bound.

#include <gtest/gtest.h>

#include <grpcpp/create_channel.h>

#include "libs/common/clock.h"
#include "libs/notify_server/notify_server.h"
#include "libs/storage/sqlite_state_store.h"
#include "tests/testing/testing.h"

namespace wecom_notify::notify_server {
namespace {

TEST(MaintenanceTest, ResolvedAlertsArePrunedFromMemoryAndDisk) {
  const std::string dir = testing::MakeTempDir("maintenance");
  NotifyServerOptions options;
  options.grpc_listen_address = "127.0.0.1:0";
  options.web_listen_address = "127.0.0.1:0";
  options.storage_path = dir;
  options.resolved_retention = absl::Milliseconds(1);
  options.maintenance_interval = absl::Milliseconds(50);
  {
    auto server = NotifyServer::Start(options, Clock::Real());
    ASSERT_TRUE(server.ok()) << server.status();
    auto stub = wecom_notify::v1::Notify::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", (*server)->grpc_port()), grpc::InsecureChannelCredentials()));
    wecom_notify::v1::NotifyRequest request;
    auto* resolved = request.add_alerts();
    (*resolved->mutable_labels())["alertname"] = "Resolved";
    resolved->mutable_starts_at()->set_seconds(absl::ToUnixSeconds(absl::Now()) - 60);
    resolved->mutable_ends_at()->set_seconds(absl::ToUnixSeconds(absl::Now()) - 30);
    auto* firing = request.add_alerts();
    (*firing->mutable_labels())["alertname"] = "Firing";
    wecom_notify::v1::NotifyResponse response;
    grpc::ClientContext context;
    ASSERT_TRUE(stub->Notify(&context, request, &response).ok());
    ASSERT_EQ(response.accepted(), 2);
    EXPECT_TRUE(testing::WaitFor([&] { return (*server)->store().size() == 1; }, absl::Seconds(10)));
    absl::SleepFor(absl::Milliseconds(200));  // one more maintenance round for the disk
    (*server)->Shutdown();
  }
  auto state = storage::SqliteStateStore::Open(dir);
  ASSERT_TRUE(state.ok()) << state.status();
  auto alerts = (*state)->LoadAlerts();
  ASSERT_TRUE(alerts.ok());
  ASSERT_EQ(alerts->size(), 1u);
  EXPECT_EQ(*(*alerts)[0].labels.Get("alertname"), "Firing");
}

}  // namespace
}  // namespace wecom_notify::notify_server
