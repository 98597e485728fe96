#include "libs/dispatch/dispatch_loop.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
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

store::HeldAlert Posted(const std::string& name, absl::Time now) {
  alert::Alert a;
  a.labels = alert::LabelSet({{"alertname", name}});
  alert::Normalize(a, now, absl::Minutes(5));
  return {a.fingerprint, store::SharedAlert(a)};
}

TEST(DispatchLoopTest, InsertedAlertsAreSeenAtOnceAndDelivered) {
  SimulatedClock clock;
  Pipeline pipeline(clock, nullptr);
  auto integration = std::make_shared<CountingIntegration>();
  auto receivers = std::make_shared<Receivers>();
  (*receivers)["r"] = {integration};
  pipeline.SetReceivers(receivers);
  RouteSpec root;
  root.receiver = "r";
  root.group_by = std::vector<std::string>{"alertname"};
  root.group_wait = absl::ZeroDuration();
  auto tree = Route::BuildTree(root);
  ASSERT_TRUE(tree.ok()) << tree.status();
  DispatchLoop loop(clock, *tree, pipeline, /*workers=*/2);

  // Insert only queues; what the loop reports includes the queued alerts all the same.
  loop.Insert({Posted("A", clock.Now()), Posted("B", clock.Now())});
  loop.Insert({Posted("A", clock.Now())});  // the same alert again: replaced, not added
  EXPECT_EQ(loop.alert_count(), 2u);
  EXPECT_EQ(loop.group_count(), 2u);
  EXPECT_TRUE(testing::WaitFor([&] { return integration->alerts() == 2; }, absl::Seconds(10)));
  loop.Stop();
}

}  // namespace
}  // namespace wecom_notify::dispatch
