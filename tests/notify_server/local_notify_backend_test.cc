// File: tests/notify_server/local_notify_backend_test.cc
//
// The Alertmanager HTTP API served from notifyd itself: a shim::Shim whose backend is a
// LocalNotifyBackend over an in-process NotifyServer with the real SQLite store.

#include "libs/notify_server/local_notify_backend.h"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/alertmanager_json/alertmanager_json.h"
#include "libs/common/clock.h"
#include "libs/common/thread_priority.h"
#include "libs/notify_server/notify_server.h"
#include "libs/shim/shim.h"
#include "libs/storage/sqlite_state_store.h"
#include "tests/testing/testing.h"

namespace wecom_notify::notify_server {
namespace {

using ::testing::HasSubstr;
using ::wecom_notify::testing::HttpRequest;
using ::wecom_notify::testing::HttpResult;

class LocalNotifyBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = wecom_notify::testing::MakeTempDir("local-backend");
    NotifyServerOptions options;
    options.grpc_listen_address = "127.0.0.1:0";
    options.web_listen_address = "127.0.0.1:0";
    options.storage_path = dir_;
    auto server = NotifyServer::Start(options, Clock::Real());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    shim::ShimOptions api;
    api.web.listen_address = "127.0.0.1:0";
    ConnectAlertsApi(std::make_shared<LocalNotifyBackend>(*server_), &api);
    auto shim = shim::Shim::Start(api);
    ASSERT_TRUE(shim.ok()) << shim.status();
    api_ = *std::move(shim);
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
    if (api_) api_->Stop();
  }

  HttpResult Call(const std::string& method, const std::string& path,
                  const std::string& body = "") {
    return HttpRequest(method, absl::StrCat("http://127.0.0.1:", api_->port(), path), body);
  }

  std::string dir_;
  std::unique_ptr<NotifyServer> server_;
  std::unique_ptr<shim::Shim> api_;
};

TEST_F(LocalNotifyBackendTest, PostedAlertsAreStoredDurablyAndListed) {
  const HttpResult posted = Call(
      "POST", "/api/v2/alerts",
      R"([{"labels":{"alertname":"DiskFull","instance":"db-1"},"annotations":{"summary":"磁盘满"}}])");
  EXPECT_EQ(posted.status, 200) << posted.body << posted.error;
  EXPECT_EQ(server_->store().size(), 1u);

  const HttpResult listed = Call("GET", "/api/v2/alerts?filter=alertname%3D%22DiskFull%22");
  EXPECT_EQ(listed.status, 200);
  EXPECT_THAT(listed.body, HasSubstr(R"("instance":"db-1")"));

  // Acknowledged means on disk: a fresh reader of the store sees it.
  server_->Shutdown();
  auto store = storage::SqliteStateStore::Open(dir_);
  ASSERT_TRUE(store.ok()) << store.status();
  auto alerts = (*store)->LoadAlerts();
  ASSERT_TRUE(alerts.ok()) << alerts.status();
  ASSERT_EQ(alerts->size(), 1u);
  EXPECT_EQ(*(*alerts)[0].labels.Get("alertname"), "DiskFull");
}

// The backend's encoded path, which a shim without notify_alerts takes (the fixture's API
// hands it alerts decoded).
TEST_F(LocalNotifyBackendTest, EncodedRequestsAreDecodedAndStored) {
  LocalNotifyBackend backend(*server_);
  auto encoded = alertmanager_json::ParseAlertsBody(
      R"([{"labels":{"alertname":"Encoded"}},{"labels":{"":"x"}}])");
  ASSERT_TRUE(encoded.ok()) << encoded.status();
  absl::Notification answered;
  backend.Notify(*std::move(encoded),
                 [&](const grpc::Status& status, const wecom_notify::v1::NotifyResponse& response) {
                   EXPECT_TRUE(status.ok()) << status.error_message();
                   ASSERT_EQ(response.rejected_size(), 1);
                   EXPECT_EQ(response.rejected(0).index(), 1);
                   answered.Notify();
                 });
  ASSERT_TRUE(answered.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(server_->store().size(), 1u);
}

TEST_F(LocalNotifyBackendTest, InvalidAlertsAreNamedAndTheValidOnesKept) {
  const HttpResult posted = Call("POST", "/api/v2/alerts",
                                 R"([{"labels":{"alertname":"Ok"}},{"labels":{"":"x"}}])");
  EXPECT_EQ(posted.status, 400);
  EXPECT_THAT(posted.body, HasSubstr("[1]."));
  EXPECT_EQ(server_->store().size(), 1u);
}

TEST_F(LocalNotifyBackendTest, ReadinessAndReloadComeFromTheServer) {
  EXPECT_EQ(Call("GET", "/-/ready").status, 200);
  const HttpResult reload = Call("POST", "/-/reload");
  EXPECT_EQ(reload.status, 500);
  EXPECT_THAT(reload.body, HasSubstr("without --config.file"));
}

// Listings and reloads take long; they leave the HTTP I/O threads to a low-priority thread.
TEST_F(LocalNotifyBackendTest, ListingsAndReloadsRunOnALowPriorityThreadOfTheirOwn) {
  LocalNotifyBackend backend(*server_);
  struct Seen {
    std::string thread;
    int nice = 0;
  };
  auto seen_here = [] {
    char name[16] = {};
    pthread_getname_np(pthread_self(), name, sizeof(name));
    return Seen{name, getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()))};
  };
  absl::Notification listed, reloaded;
  Seen listing, reload;
  backend.ListAlerts(wecom_notify::v1::ListAlertsRequest(),
                     [&](const grpc::Status& status, const wecom_notify::v1::ListAlertsResponse&) {
                       EXPECT_TRUE(status.ok()) << status.error_message();
                       listing = seen_here();
                       listed.Notify();
                     });
  backend.ReloadConfig([&](const grpc::Status&) {
    reload = seen_here();
    reloaded.Notify();
  });
  ASSERT_TRUE(listed.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_TRUE(reloaded.WaitForNotificationWithTimeout(absl::Seconds(10)));
  const int bulk = std::max(getpriority(PRIO_PROCESS, 0), kBulkWorkNice);
  EXPECT_EQ(listing.thread, "alerts-api-bulk");
  EXPECT_EQ(listing.nice, bulk);
  EXPECT_EQ(reload.thread, "alerts-api-bulk");
}

TEST_F(LocalNotifyBackendTest, AfterShutdownPostsAreRefusedForARetry) {
  server_->Shutdown();
  const HttpResult posted =
      Call("POST", "/api/v2/alerts", R"([{"labels":{"alertname":"Late"}}])");
  EXPECT_EQ(posted.status, 503) << posted.body;
}

}  // namespace
}  // namespace wecom_notify::notify_server
