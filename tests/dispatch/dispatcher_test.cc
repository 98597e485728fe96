#include "libs/dispatch/dispatcher.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "libs/store/shared_alert.h"
#include "tests/storage/storage_test_util.h"

namespace wecom_notify::dispatch {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RouteSpec root;
    root.receiver = "r";
    root.group_by = std::vector<std::string>{"alertname"};
    root.group_wait = absl::Seconds(30);
    root.group_interval = absl::Minutes(5);
    dispatcher_ = std::make_unique<Dispatcher>(*Route::BuildTree(root));
  }

  alert::Alert Insert(alert::LabelSet labels, absl::Time now, absl::Duration ends_in) {
    alert::Alert a;
    a.labels = std::move(labels);
    a.starts_at = now;
    a.ends_at = now + ends_in;
    alert::Normalize(a, now, absl::Minutes(5));
    dispatcher_->Insert(store::SharedAlert(a), now);
    return a;
  }

  std::unique_ptr<Dispatcher> dispatcher_;
};

TEST_F(DispatcherTest, NextDeadlineIsGroupWaitAfterCreation) {
  EXPECT_EQ(dispatcher_->NextDeadline(), std::nullopt);
  Insert({{"alertname", "A"}}, kT0, absl::Hours(1));
  EXPECT_EQ(dispatcher_->NextDeadline(), kT0 + absl::Seconds(30));
  EXPECT_TRUE(dispatcher_->TakeDue(kT0 + absl::Seconds(29)).empty());
}

// Every field but the annotations, which versions do not carry (the pipeline reads them for a
// notification it sends).
TEST_F(DispatcherTest, AFlushCarriesEveryFieldAsInserted) {
  alert::Alert a;
  a.labels = alert::LabelSet({{"alertname", "A"}, {"instance", "db-1"}});
  a.annotations = alert::LabelSet({{"summary", "disk full"}});
  a.generator_url = "http://prometheus:9090/graph?g0.expr=up";
  a.starts_at = kT0 - absl::Nanoseconds(123456789);
  alert::Normalize(a, kT0, absl::Minutes(5));  // ends_at from the timeout
  dispatcher_->Insert(store::SharedAlert(a), kT0);
  const auto flushes = dispatcher_->TakeDue(kT0 + absl::Seconds(30));
  ASSERT_EQ(flushes.size(), 1u);
  ASSERT_EQ(flushes[0].alerts.size(), 1u);
  EXPECT_TRUE(flushes[0].alerts[0].annotations.empty());
  a.annotations = alert::LabelSet();
  EXPECT_TRUE(storage::testing::SameAlert(flushes[0].alerts[0], a));
  EXPECT_TRUE(a.ends_at_from_timeout);  // so the flag's round trip is covered
}

TEST_F(DispatcherTest, AGroupWithAFlushOutIsNotFlushedAgainUntilComplete) {
  Insert({{"alertname", "A"}}, kT0, absl::Hours(1));
  auto flushes = dispatcher_->TakeDue(kT0 + absl::Seconds(30));
  ASSERT_EQ(flushes.size(), 1u);
  EXPECT_EQ(dispatcher_->NextDeadline(), std::nullopt);  // waiting for the outcome
  // The send took longer than group_interval: the next flush is due at once when it completes.
  dispatcher_->Complete(flushes[0].id, true);
  EXPECT_EQ(dispatcher_->NextDeadline(), kT0 + absl::Seconds(30) + absl::Minutes(5));
}

TEST_F(DispatcherTest, ResolvedAlertsLeaveOnlyAfterDelivery) {
  Insert({{"alertname", "A"}}, kT0, absl::Seconds(1));
  auto failed = dispatcher_->TakeDue(kT0 + absl::Seconds(30));
  ASSERT_EQ(failed.size(), 1u);
  dispatcher_->Complete(failed[0].id, /*delivered=*/false);
  EXPECT_EQ(dispatcher_->alert_count(), 1u);
  auto retried = dispatcher_->TakeDue(kT0 + absl::Seconds(30) + absl::Minutes(5));
  ASSERT_EQ(retried.size(), 1u);
  dispatcher_->Complete(retried[0].id, /*delivered=*/true);
  EXPECT_EQ(dispatcher_->alert_count(), 0u);
  EXPECT_EQ(dispatcher_->group_count(), 0u);
}

TEST_F(DispatcherTest, AnAlertUpdatedDuringTheFlushStays) {
  Insert({{"alertname", "A"}}, kT0, absl::Seconds(1));
  auto flushes = dispatcher_->TakeDue(kT0 + absl::Seconds(30));
  // Fires again while its resolved notice is being sent.
  Insert({{"alertname", "A"}}, kT0 + absl::Seconds(31), absl::Hours(1));
  dispatcher_->Complete(flushes[0].id, true);
  EXPECT_EQ(dispatcher_->alert_count(), 1u);
}

TEST_F(DispatcherTest, FlushSnapshotIsSortedByJobInstanceThenLabels) {
  Insert({{"alertname", "A"}, {"instance", "b"}}, kT0, absl::Hours(1));
  Insert({{"alertname", "A"}, {"instance", "a"}}, kT0, absl::Hours(1));
  Insert({{"alertname", "A"}}, kT0, absl::Hours(1));
  auto flushes = dispatcher_->TakeDue(kT0 + absl::Seconds(30));
  ASSERT_EQ(flushes.size(), 1u);
  ASSERT_EQ(flushes[0].alerts.size(), 3u);
  EXPECT_EQ(*flushes[0].alerts[0].labels.Get("instance"), "a");
  EXPECT_EQ(*flushes[0].alerts[1].labels.Get("instance"), "b");
  EXPECT_FALSE(flushes[0].alerts[2].labels.Get("instance").has_value());
}

TEST_F(DispatcherTest, ABatchCreatingManyGroupsPutsEachAlertInItsOwnAndTheLastRepeatWins) {
  // Enough new groups in one batch to make the group table grow while earlier alerts of the
  // batch are still to be inserted.
  auto make = [](const std::string& name, const std::string& version) {
    alert::Alert a;
    a.labels = alert::LabelSet({{"alertname", name}});
    a.generator_url = "http://prometheus/" + version;
    a.starts_at = kT0;
    alert::Normalize(a, kT0, absl::Minutes(5));
    return store::SharedAlert(a);
  };
  std::vector<store::SharedAlert> batch;
  for (int i = 0; i < 300; ++i) batch.push_back(make(absl::StrCat("G", i), "first"));
  batch.push_back(make("G7", "second"));
  dispatcher_->Insert(batch, kT0);
  EXPECT_EQ(dispatcher_->group_count(), 300u);
  EXPECT_EQ(dispatcher_->alert_count(), 300u);

  const auto flushes = dispatcher_->TakeDue(kT0 + absl::Seconds(30));
  ASSERT_EQ(flushes.size(), 300u);
  for (const Flush& flush : flushes) {
    ASSERT_EQ(flush.alerts.size(), 1u) << flush.group_key;
    const alert::Alert& a = flush.alerts[0];
    EXPECT_EQ(flush.group_key, absl::StrCat("{}:{alertname=\"", *a.labels.Get("alertname"), "\"}"));
    EXPECT_EQ(a.generator_url.view(), a.labels.Get("alertname") == "G7"
                                          ? "http://prometheus/second"
                                          : "http://prometheus/first");
  }
}

TEST_F(DispatcherTest, ReloadRebuildsGroupsFromHeldAlerts) {
  Insert({{"alertname", "A"}, {"team", "db"}}, kT0, absl::Hours(1));
  RouteSpec root;
  root.receiver = "r";
  root.group_by = std::vector<std::string>{"team"};
  dispatcher_->Reload(*Route::BuildTree(root), kT0 + absl::Minutes(1));
  EXPECT_EQ(dispatcher_->group_count(), 1u);
  auto flushes = dispatcher_->TakeDue(kT0 + absl::Minutes(1));  // old alert: at once
  ASSERT_EQ(flushes.size(), 1u);
  EXPECT_EQ(flushes[0].group_key, "{}:{team=\"db\"}");
}

TEST_F(DispatcherTest, ReloadKeepsAFlushInFlightAndTheTimersOfUnchangedGroups) {
  Insert({{"alertname", "A"}}, kT0, absl::Hours(1));
  Insert({{"alertname", "B"}}, kT0 + absl::Seconds(10), absl::Hours(1));
  auto out = dispatcher_->TakeDue(kT0 + absl::Seconds(30));  // A's flush is out
  ASSERT_EQ(out.size(), 1u);
  // The same grouping plus a route neither alert matches: every group keeps its key.
  RouteSpec root;
  root.receiver = "r";
  root.group_by = std::vector<std::string>{"alertname"};
  root.group_wait = absl::Seconds(30);
  root.group_interval = absl::Minutes(5);
  RouteSpec child;
  child.receiver = "r";
  child.matchers.push_back(*alert::Matcher::Create("team", alert::Matcher::Type::kEqual, "x"));
  root.routes.push_back(child);
  dispatcher_->Reload(*Route::BuildTree(root), kT0 + absl::Seconds(35));
  EXPECT_EQ(dispatcher_->group_count(), 2u);
  // A is not flushed again while its flush is out; B keeps its group_wait.
  EXPECT_EQ(dispatcher_->NextDeadline(), kT0 + absl::Seconds(40));
  auto due = dispatcher_->TakeDue(kT0 + absl::Seconds(40));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].group_key, "{}:{alertname=\"B\"}");
  // A's outcome still counts after the reload: its next flush is one group_interval on.
  dispatcher_->Complete(out[0].id, true);
  dispatcher_->Complete(due[0].id, true);
  EXPECT_EQ(dispatcher_->NextDeadline(), kT0 + absl::Seconds(30) + absl::Minutes(5));
  EXPECT_TRUE(dispatcher_->TakeDue(kT0 + absl::Minutes(5)).empty());
}

}  // namespace
}  // namespace wecom_notify::dispatch
