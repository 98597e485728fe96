#include "libs/dispatch/dispatch_loop.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "libs/common/clock.h"
#include "libs/dispatch/pipeline.h"
#include "libs/store/shared_alert.h"
#include "tests/testing/testing.h"

namespace wecom_notify::dispatch {
namespace {

// Counts what it sends; the loop's workers call it from their threads.
class CountingIntegration : public Integration {
 public:
  const std::string& name() const override { return name_; }
  bool send_resolved() const override { return true; }
  absl::Status Notify(const Notification& n) override {
    absl::MutexLock lock(&mu_);
    alerts_ += n.alerts.size();
    return absl::OkStatus();
  }
  std::size_t alerts() const {
    absl::MutexLock lock(&mu_);
    return alerts_;
  }

 private:
  const std::string name_ = "wecom_app/0";
  mutable absl::Mutex mu_;
  std::size_t alerts_ = 0;
};

store::SharedAlert Posted(const std::string& name, absl::Time now) {
  alert::Alert a;
  a.labels = alert::LabelSet({{"alertname", name}});
  alert::Normalize(a, now, absl::Minutes(5));
  return store::SharedAlert(a);
}

// A loop over one route grouping by alertname into a receiver that counts what it is sent.
class DispatchLoopTest : public ::testing::Test {
 protected:
  std::unique_ptr<DispatchLoop> StartLoop(absl::Duration group_wait) {
    auto receivers = std::make_shared<Receivers>();
    (*receivers)["r"] = {integration_};
    pipeline_.SetReceivers(receivers);
    RouteSpec root;
    root.receiver = "r";
    root.group_by = std::vector<std::string>{"alertname"};
    root.group_wait = group_wait;
    auto tree = Route::BuildTree(root);
    EXPECT_TRUE(tree.ok()) << tree.status();
    return std::make_unique<DispatchLoop>(clock_, *tree, pipeline_, /*workers=*/2);
  }

  SimulatedClock clock_;
  Pipeline pipeline_{clock_, nullptr};
  std::shared_ptr<CountingIntegration> integration_ = std::make_shared<CountingIntegration>();
};

TEST_F(DispatchLoopTest, InsertedAlertsAreSeenAtOnceAndDelivered) {
  auto loop = StartLoop(absl::ZeroDuration());
  // Insert only queues; what the loop reports includes the queued alerts all the same.
  loop->Insert({Posted("A", clock_.Now()), Posted("B", clock_.Now())});
  loop->Insert({Posted("A", clock_.Now())});  // the same alert again: replaced, not added
  EXPECT_EQ(loop->alert_count(), 2u);
  EXPECT_EQ(loop->group_count(), 2u);
  EXPECT_TRUE(testing::WaitFor([&] { return integration_->alerts() == 2; }, absl::Seconds(10)));
  loop->Stop();
}

TEST_F(DispatchLoopTest, AlertsWakeTheDriverOnlyWhenTheirGroupCouldBeDueBeforeItWakes) {
  auto loop = StartLoop(absl::Minutes(1));  // the alerts stay firing for 5
  ASSERT_TRUE(testing::WaitFor([&] { return loop->driver_rounds() >= 1; }, absl::Seconds(10)));
  const std::size_t rounds_before = loop->driver_rounds();
  for (int i = 0; i < 20; ++i) {
    loop->Insert({Posted(absl::StrCat("A", i), clock_.Now())});
    absl::SleepFor(absl::Milliseconds(5));  // the driver would be back asleep after a wake-up
  }
  // No wake-up per batch: only the driver's own rounds (one a second at most) in ~0.1 s.
  EXPECT_LE(loop->driver_rounds() - rounds_before, 3u);
  // The queued alerts still reach their groups in time for group_wait.
  clock_.Advance(absl::Minutes(1));
  EXPECT_TRUE(testing::WaitFor([&] { return integration_->alerts() == 20; }, absl::Seconds(10)));
  loop->Stop();
}

}  // namespace
}  // namespace wecom_notify::dispatch
