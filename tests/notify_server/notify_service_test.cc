// File: tests/notify_server/notify_service_test.cc
//
// NotifyService's choice of who writes a request durably (GroupCommitter::Mode): a small
// request from a caller that allows it is written on the caller's thread, a large one always
// by the committer's writer thread.

#include "libs/notify_server/notify_service.h"

#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "libs/alert/alert.h"
#include "libs/common/clock.h"
#include "libs/notify_server/ingest_metrics.h"
#include "libs/storage/group_committer.h"
#include "libs/storage/sqlite_state_store.h"
#include "libs/store/alert_store.h"
#include "tests/testing/testing.h"

namespace wecom_notify::notify_server {
namespace {

using Mode = storage::GroupCommitter::Mode;

class NotifyServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sqlite = storage::SqliteStateStore::Open(testing::MakeTempDir("notify-service"));
    ASSERT_TRUE(sqlite.ok()) << sqlite.status();
    state_ = *std::move(sqlite);
    committer_ = std::make_unique<storage::GroupCommitter>(*state_);
    service_ = std::make_unique<NotifyService>(store_, clock_, metrics_, NotifyServiceOptions(),
                                               committer_.get());
  }

  // Posts `count` alerts in one request; returns the thread its answer came on.
  std::thread::id Post(int count, Mode mode) {
    notify_wire::DecodedNotifyRequest request;
    for (int i = 0; i < count; ++i) {
      alert::Alert a;
      a.labels = alert::LabelSet({{"alertname", "Post"}, {"i", absl::StrCat(count, "-", i)}});
      request.alerts.push_back(std::move(a));
    }
    wecom_notify::v1::NotifyResponse response;
    absl::Notification answered;
    std::thread::id answered_on;
    service_->HandleNotify(
        std::move(request), &response,
        [&](absl::Status status) {
          EXPECT_TRUE(status.ok()) << status;
          answered_on = std::this_thread::get_id();
          answered.Notify();
        },
        mode);
    EXPECT_TRUE(answered.WaitForNotificationWithTimeout(absl::Seconds(30)));
    EXPECT_EQ(response.accepted(), count);
    return answered_on;
  }

  SimulatedClock clock_;
  prometheus::Registry registry_;
  IngestMetrics metrics_{registry_};
  store::AlertStore store_;
  std::unique_ptr<storage::SqliteStateStore> state_;
  std::unique_ptr<storage::GroupCommitter> committer_;
  std::unique_ptr<NotifyService> service_;
};

TEST_F(NotifyServiceTest, ASmallRequestIsWrittenOnTheCallersThreadWhenItMayBe) {
  EXPECT_EQ(Post(1, Mode::kWriteInlineWhenIdle), std::this_thread::get_id());
  EXPECT_EQ(Post(32, Mode::kWriteInlineWhenIdle), std::this_thread::get_id());
  EXPECT_NE(Post(1, Mode::kQueue), std::this_thread::get_id());
}

TEST_F(NotifyServiceTest, ALargeRequestIsAlwaysWrittenByTheCommitter) {
  EXPECT_NE(Post(33, Mode::kWriteInlineWhenIdle), std::this_thread::get_id());
  EXPECT_EQ(committer_->GetStats().alerts, 33u);
}

// With the store holding no annotations (store::Annotations::kDropped, as notifyd runs on its
// durable store), a listing reads them back from the durable store.
TEST_F(NotifyServiceTest, ListingsReadAnnotationsTheStoreDoesNotHold) {
  store::AlertStore dropping(store::Annotations::kDropped);
  NotifyServiceOptions options;
  options.annotations_source = state_.get();
  NotifyService service(dropping, clock_, metrics_, options, committer_.get());
  notify_wire::DecodedNotifyRequest request;
  for (const char* instance : {"h1", "h2"}) {
    alert::Alert& a = request.alerts.emplace_back();
    a.labels = alert::LabelSet({{"alertname", "DiskFull"}, {"instance", instance}});
    a.annotations = alert::LabelSet({{"summary", absl::StrCat("磁盘已满 ", instance)}});
  }
  wecom_notify::v1::NotifyResponse response;
  absl::Notification answered;
  service.HandleNotify(std::move(request), &response, [&](absl::Status status) {
    EXPECT_TRUE(status.ok()) << status;
    answered.Notify();
  });
  ASSERT_TRUE(answered.WaitForNotificationWithTimeout(absl::Seconds(30)));
  ASSERT_EQ(response.accepted(), 2);

  for (const alert::Alert& held : dropping.List({}, store::StateFilter::kAll, clock_.Now())) {
    EXPECT_TRUE(held.annotations.empty());
  }
  wecom_notify::v1::ListAlertsResponse listed;
  ASSERT_TRUE(service.HandleListAlerts(wecom_notify::v1::ListAlertsRequest(), &listed).ok());
  ASSERT_EQ(listed.alerts_size(), 2);
  for (const auto& a : listed.alerts()) {
    const auto summary = a.annotations().find("summary");
    ASSERT_NE(summary, a.annotations().end());
    EXPECT_EQ(summary->second, absl::StrCat("磁盘已满 ", a.labels().at("instance")));
  }
}

}  // namespace
}  // namespace wecom_notify::notify_server
