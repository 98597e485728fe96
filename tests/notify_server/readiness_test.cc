// File: tests/notify_server/readiness_test.cc
//
// Readiness on its own, then notifyd (NotifyServer in-process) with a durable store that can be
// made to fail: Notify, the gRPC health service and GET /-/ready must all say "not ready" while
// the store refuses writes, and all recover once it takes them again — without traffic.

#include "libs/notify_server/readiness.h"

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "libs/common/clock.h"
#include "libs/notify_server/notify_server.h"
#include "libs/storage/sqlite_state_store.h"
#include "tests/testing/testing.h"
#include "wecom_notify/v1/notify.grpc.pb.h"

namespace wecom_notify::notify_server {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ReadinessTest, ReadyUntilAConditionFailsAndAgainWhenItRecovers) {
  std::vector<bool> changes;
  Readiness readiness([&](bool ready) { changes.push_back(ready); });
  EXPECT_TRUE(readiness.Check().ok());
  EXPECT_TRUE(readiness.IsMet("storage"));

  readiness.Set("storage", absl::OkStatus());  // already met: no change
  readiness.Set("storage", absl::UnavailableError("disk I/O error"));
  readiness.Set("storage", absl::UnavailableError("database is locked"));  // still failed
  const absl::Status failed = readiness.Check();
  EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(failed.message(), "not ready: storage: database is locked");
  EXPECT_FALSE(readiness.IsMet("storage"));

  readiness.Set("storage", absl::OkStatus());
  EXPECT_TRUE(readiness.Check().ok());
  EXPECT_THAT(changes, ElementsAre(false, true));
}

TEST(ReadinessTest, EveryFailedConditionIsNamedAndAllMustRecover) {
  std::vector<bool> changes;
  Readiness readiness([&](bool ready) { changes.push_back(ready); });
  readiness.Set("storage", absl::UnavailableError("disk full"));
  readiness.Set("config", absl::InvalidArgumentError("no route"));
  EXPECT_EQ(readiness.Check().message(), "not ready: config: no route; storage: disk full");
  readiness.Set("storage", absl::OkStatus());
  EXPECT_EQ(readiness.Check().message(), "not ready: config: no route");
  readiness.Set("config", absl::OkStatus());
  EXPECT_TRUE(readiness.Check().ok());
  EXPECT_THAT(changes, ElementsAre(false, true));
}

// The real SQLite store, with a switch that makes every write fail as a broken disk would.
class BreakableStore : public storage::StateStore {
 public:
  explicit BreakableStore(std::unique_ptr<storage::StateStore> real) : real_(std::move(real)) {}
  void Break(bool broken) { broken_ = broken; }
  int probes() const { return probes_; }

  absl::Status PutAlerts(const std::vector<alert::Alert>& alerts) override {
    if (broken_) return Broken();
    return real_->PutAlerts(alerts);
  }
  absl::Status DeleteAlerts(const std::vector<uint64_t>& fingerprints) override {
    if (broken_) return Broken();
    return real_->DeleteAlerts(fingerprints);
  }
  absl::StatusOr<std::vector<alert::Alert>> LoadAlerts() override { return real_->LoadAlerts(); }
  absl::Status PutNotificationLog(const std::vector<nflog::Entry>& entries) override {
    if (broken_) return Broken();
    return real_->PutNotificationLog(entries);
  }
  absl::StatusOr<std::vector<nflog::Entry>> LoadNotificationLog(absl::Time now) override {
    return real_->LoadNotificationLog(now);
  }
  absl::Status Prune(absl::Time now, absl::Time resolved_before,
                     const std::vector<uint64_t>& resolved) override {
    if (broken_) return Broken();
    return real_->Prune(now, resolved_before, resolved);
  }
  absl::Status CheckWritable() override {
    ++probes_;
    if (broken_) return Broken();
    return real_->CheckWritable();
  }

 private:
  static absl::Status Broken() { return absl::UnavailableError("disk I/O error (injected)"); }

  std::unique_ptr<storage::StateStore> real_;
  std::atomic<bool> broken_{false};
  std::atomic<int> probes_{0};
};

class NotifydReadinessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sqlite = storage::SqliteStateStore::Open(testing::MakeTempDir("readiness"));
    ASSERT_TRUE(sqlite.ok()) << sqlite.status();
    auto store = std::make_unique<BreakableStore>(*std::move(sqlite));
    store_ = store.get();
    NotifyServerOptions options;
    options.grpc_listen_address = "127.0.0.1:0";
    options.web_listen_address = "127.0.0.1:0";
    options.storage_probe_interval = absl::Milliseconds(20);
    auto server = NotifyServer::Start(options, Clock::Real(), nullptr, std::move(store));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->grpc_port()),
                                       grpc::InsecureChannelCredentials());
    notify_ = wecom_notify::v1::Notify::NewStub(channel);
    health_ = grpc::health::v1::Health::NewStub(channel);
  }

  grpc::Status PostAlert(const std::string& name) {
    wecom_notify::v1::NotifyRequest request;
    (*request.add_alerts()->mutable_labels())["alertname"] = name;
    wecom_notify::v1::NotifyResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return notify_->Notify(&context, request, &response);
  }

  bool Serving() {
    grpc::health::v1::HealthCheckResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    return health_->Check(&context, grpc::health::v1::HealthCheckRequest(), &response).ok() &&
           response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
  }

  testing::HttpResult Ready() {
    return testing::HttpRequest("GET",
                                absl::StrCat("http://127.0.0.1:", server_->web_port(), "/-/ready"));
  }

  std::string Metrics() {
    return testing::HttpRequest("GET",
                                absl::StrCat("http://127.0.0.1:", server_->web_port(), "/metrics"))
        .body;
  }

  BreakableStore* store_ = nullptr;
  std::unique_ptr<NotifyServer> server_;
  std::unique_ptr<wecom_notify::v1::Notify::Stub> notify_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
};

TEST_F(NotifydReadinessTest, FailingStoreWritesMakeNotifydNotReadyUntilAProbeSucceeds) {
  ASSERT_TRUE(PostAlert("before").ok());
  EXPECT_TRUE(Serving());
  EXPECT_EQ(Ready().status, 200);
  EXPECT_THAT(Metrics(), HasSubstr("wecom_notify_ready 1\n"));

  store_->Break(true);
  const grpc::Status refused = PostAlert("during");
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(refused.error_message(), HasSubstr("not stored durably"));
  EXPECT_FALSE(Serving());
  const testing::HttpResult ready = Ready();
  EXPECT_EQ(ready.status, 503);
  EXPECT_THAT(ready.body, HasSubstr("storage: disk I/O error (injected)"));
  const std::string metrics = Metrics();
  EXPECT_THAT(metrics, HasSubstr("wecom_notify_ready 0\n"));
  EXPECT_THAT(metrics, HasSubstr("wecom_notify_storage_failed_batches_total 1\n"));
  // Probes keep failing while the store is broken, and readiness stays off.
  const int probes = store_->probes();
  ASSERT_TRUE(testing::WaitFor([&] { return store_->probes() >= probes + 3; }, absl::Seconds(10)));
  EXPECT_FALSE(Serving());

  // The store heals; with no traffic at all, a probe brings readiness back.
  store_->Break(false);
  EXPECT_TRUE(testing::WaitFor([&] { return Serving(); }, absl::Seconds(10)));
  EXPECT_EQ(Ready().status, 200);
  EXPECT_TRUE(PostAlert("after").ok());
  EXPECT_THAT(Metrics(), HasSubstr("wecom_notify_ready 1\n"));
}

}  // namespace
}  // namespace wecom_notify::notify_server
