// Alertmanager's acceptance scenarios (grouping, repeat, resolved, batching, retry), in our words
// and in simulated time: both sides of every group_wait / group_interval / repeat_interval
// boundary, no sleeping.

#include "absl/container/flat_hash_map.h"
#include "libs/nflog/notification_log.h"
#include "libs/storage/state_store.h"
#include "tests/dispatch/engine_fixture.h"

namespace wecom_notify::dispatch {
namespace {

constexpr absl::Duration kWait = absl::Seconds(30);
constexpr absl::Duration kInterval = absl::Minutes(5);
constexpr absl::Duration kRepeat = absl::Hours(12);
constexpr absl::Duration kLease = absl::Hours(48);  // endsAt far ahead, as Prometheus re-sends
constexpr absl::Duration kMs = absl::Milliseconds(1);

TEST_F(EngineTest, FlushesOnceAfterGroupWait) {
  Configure(ByAlertname(kWait, kInterval, kRepeat));
  Post({{"alertname", "DiskFull"}, {"instance", "h1"}}, kLease);
  AdvanceTo(kWait - kMs);
  EXPECT_EQ(SentCount(), 0u);
  AdvanceTo(kWait);
  ASSERT_EQ(SentCount(), 1u);
  EXPECT_EQ(LastSent().reason, nflog::Reason::kFirstNotification);
  EXPECT_EQ(LastSent().group_key, "{}:{alertname=\"DiskFull\"}");
}

TEST_F(EngineTest, AlertsArrivingDuringGroupWaitShareOneMessage) {
  Configure(ByAlertname(kWait, kInterval, kRepeat));
  Post({{"alertname", "DiskFull"}, {"instance", "h1"}}, kLease);
  AdvanceTo(kWait - kMs);
  Post({{"alertname", "DiskFull"}, {"instance", "h2"}}, kLease);
  AdvanceTo(kWait);
  ASSERT_EQ(SentCount(), 1u);
  EXPECT_EQ(LastSent().alerts.size(), 2u);
}

TEST_F(EngineTest, NewAlertInAFlushedGroupWaitsForGroupInterval) {
  Configure(ByAlertname(kWait, kInterval, kRepeat));
  Post({{"alertname", "DiskFull"}, {"instance", "h1"}}, kLease);
  AdvanceTo(kWait);
  AdvanceTo(kWait + absl::Seconds(1));
  Post({{"alertname", "DiskFull"}, {"instance", "h2"}}, kLease);
  AdvanceTo(kWait + kInterval - kMs);
  EXPECT_EQ(SentCount(), 1u);
  AdvanceTo(kWait + kInterval);
  ASSERT_EQ(SentCount(), 2u);
  EXPECT_EQ(LastSent().reason, nflog::Reason::kNewAlertsAdded);
  EXPECT_EQ(LastSent().alerts.size(), 2u);
}

TEST_F(EngineTest, AnOldAlertThatCreatesAGroupFlushesAtOnce) {
  Configure(ByAlertname(kWait, kInterval, kRepeat));
  Post({{"alertname", "Replayed"}}, kLease, /*started_ago=*/absl::Hours(1));
  AdvanceTo(absl::ZeroDuration());
  EXPECT_EQ(SentCount(), 1u);
}

TEST_F(EngineTest, RepeatsOnlyAfterRepeatInterval) {
  Configure(ByAlertname(kWait, kInterval, kRepeat));
  Post({{"alertname", "Steady"}}, kLease);
  AdvanceTo(kWait);
  ASSERT_EQ(SentCount(), 1u);
  // Re-posted every minute for 12 hours (Prometheus re-sends firing alerts): no duplicate.
  for (int minute = 1; minute <= 12 * 60; ++minute) {
    AdvanceTo(kWait + absl::Minutes(minute) - absl::Seconds(1));
    Post({{"alertname", "Steady"}}, kLease);
  }
  // The tick exactly repeat_interval after the send does not repeat; the next one does.
  AdvanceTo(kWait + kRepeat);
  EXPECT_EQ(SentCount(), 1u);
  AdvanceTo(kWait + kRepeat + kInterval - kMs);
  EXPECT_EQ(SentCount(), 1u);
  AdvanceTo(kWait + kRepeat + kInterval);
  ASSERT_EQ(SentCount(), 2u);
  EXPECT_EQ(LastSent().reason, nflog::Reason::kRepeatIntervalElapsed);
}

TEST_F(EngineTest, ResolvedNoticeWithSendResolvedThenTheGroupIsGone) {
  Configure(ByAlertname(kWait, kInterval, kRepeat), /*send_resolved=*/true);
  Post({{"alertname", "Flappy"}});  // no endsAt: resolves after resolve_timeout (5m)
  AdvanceTo(kWait);
  ASSERT_EQ(SentCount(), 1u);
  AdvanceTo(kWait + kInterval - kMs);  // resolved at 5m, but the next tick is at 5m30s
  EXPECT_EQ(SentCount(), 1u);
  AdvanceTo(kWait + kInterval);
  ASSERT_EQ(SentCount(), 2u);
  EXPECT_EQ(LastSent().reason, nflog::Reason::kAllAlertsResolved);
  EXPECT_EQ(LastSent().firing_count(), 0u);
  EXPECT_EQ(dispatcher_->group_count(), 0u);
  AdvanceTo(kWait + kRepeat * 2);
  EXPECT_EQ(SentCount(), 2u);
}

TEST_F(EngineTest, WithoutSendResolvedAPartialResolveIsSilent) {
  Configure(ByAlertname(kWait, kInterval, kRepeat), /*send_resolved=*/false);
  Post({{"alertname", "Pair"}, {"i", "1"}}, kLease);
  Post({{"alertname", "Pair"}, {"i", "2"}}, absl::Minutes(2));
  AdvanceTo(kWait);
  ASSERT_EQ(SentCount(), 1u);
  AdvanceTo(kWait + kInterval);
  EXPECT_EQ(SentCount(), 1u);  // one of two resolved: not worth a message without send_resolved
  // A new alert afterwards is news again.
  Post({{"alertname", "Pair"}, {"i", "3"}}, kLease);
  AdvanceTo(kWait + 2 * kInterval);
  ASSERT_EQ(SentCount(), 2u);
  EXPECT_EQ(LastSent().alerts.size(), 2u);  // i=1 and i=3; the resolved i=2 is not shown
}

TEST_F(EngineTest, SameAlertFromTwoSourcesIsOneNotification) {
  Configure(ByAlertname(kWait, kInterval, kRepeat));
  // Two Alertmanager replicas (or Prometheus and Alertmanager) deliver the same alert.
  Post({{"alertname", "HA"}, {"instance", "h1"}}, kLease);
  AdvanceTo(absl::Milliseconds(200));
  Post({{"alertname", "HA"}, {"instance", "h1"}}, kLease);
  AdvanceTo(kWait + kInterval * 3);
  ASSERT_EQ(SentCount(), 1u);
  EXPECT_EQ(LastSent().alerts.size(), 1u);
}

TEST_F(EngineTest, AStormIsAggregatedPerGroup) {
  Configure(ByAlertname(kWait, kInterval, kRepeat));
  for (int i = 0; i < 5000; ++i) {
    Post({{"alertname", absl::StrCat("Storm", i % 5)}, {"pod", absl::StrCat("p", i)}}, kLease);
    if (i % 500 == 0) AdvanceTo(absl::Milliseconds(i));
  }
  AdvanceTo(kWait + absl::Seconds(10));
  ASSERT_EQ(SentCount(), 5u);  // one per group, not one per alert
  std::size_t alerts = 0;
  for (const auto& n : integration_->sent) alerts += n.alerts.size();
  EXPECT_EQ(alerts, 5000u);
}

TEST_F(EngineTest, GroupByAllNotifiesPerAlert) {
  RouteSpec root = ByAlertname(kWait, kInterval, kRepeat);
  root.group_by = std::vector<std::string>{"..."};
  Configure(root);
  Post({{"alertname", "A"}, {"i", "1"}}, kLease);
  Post({{"alertname", "A"}, {"i", "2"}}, kLease);
  AdvanceTo(kWait);
  EXPECT_EQ(SentCount(), 2u);
}

TEST_F(EngineTest, RetryableFailuresAreRetriedWithinTheFlush) {
  Configure(ByAlertname(kWait, kInterval, kRepeat));
  integration_->script = {absl::UnavailableError("wecom -1"), absl::UnavailableError("5xx")};
  Post({{"alertname", "Retry"}}, kLease);
  AdvanceTo(kWait);
  EXPECT_EQ(integration_->attempts, 3);
  EXPECT_EQ(SentCount(), 1u);
  EXPECT_EQ(pipeline_->stats().retries, 2u);
  EXPECT_LT(clock_.Now(), t0_ + kWait + kInterval);  // the backoff stayed inside the flush
}

TEST_F(EngineTest, PermanentFailureWaitsForTheNextTickAndKeepsResolvedAlerts) {
  Configure(ByAlertname(kWait, kInterval, kRepeat));
  integration_->script = {absl::PermissionDeniedError("40001 wrong secret")};
  Post({{"alertname", "Denied"}}, absl::Minutes(1));
  AdvanceTo(kWait);
  EXPECT_EQ(integration_->attempts, 1);
  EXPECT_EQ(SentCount(), 0u);
  EXPECT_EQ(pipeline_->stats().notifications_failed, 1u);
  // Next tick: the alert has resolved meanwhile; the receiver never heard of it, so nothing is
  // due (Alertmanager's rule) and the group is cleaned up.
  AdvanceTo(kWait + kInterval);
  EXPECT_EQ(integration_->attempts, 1);
  EXPECT_EQ(dispatcher_->group_count(), 0u);
}

TEST_F(EngineTest, FailedFiringNotificationIsSentAtTheNextTick) {
  Configure(ByAlertname(kWait, kInterval, kRepeat));
  integration_->script = {absl::PermissionDeniedError("60020 not allow to access from your ip")};
  Post({{"alertname", "Blocked"}}, kLease);
  AdvanceTo(kWait + kInterval - kMs);
  EXPECT_EQ(SentCount(), 0u);
  AdvanceTo(kWait + kInterval);
  EXPECT_EQ(SentCount(), 1u);
}

TEST_F(EngineTest, RestartWithTheLogDoesNotRepeatButResendsWhatWasNotLogged) {
  Configure(ByAlertname(kWait, kInterval, kRepeat));
  Post({{"alertname", "Durable"}}, kLease);
  AdvanceTo(kWait);
  ASSERT_EQ(SentCount(), 1u);
  const std::string first_dedup_id = LastSent().dedup_id;
  const auto log = pipeline_->NotificationLogSnapshot();

  // Restart with the log: the replayed alert flushes at once but is suppressed.
  AdvanceTo(kWait + absl::Minutes(1));
  pipeline_ = std::make_unique<Pipeline>(clock_, nullptr);
  Configure(ByAlertname(kWait, kInterval, kRepeat));
  pipeline_->LoadNotificationLog(log);
  Post({{"alertname", "Durable"}}, kLease, /*started_ago=*/absl::Minutes(2));
  AdvanceTo(kWait + kInterval * 2);
  EXPECT_EQ(SentCount(), 0u);
  EXPECT_EQ(pipeline_->stats().notifications_suppressed, 2u);

  // Restart without the log (the kill came between send and log write): sent again, with the
  // same dedup id, so WeCom's duplicate check hides the copy.
  pipeline_ = std::make_unique<Pipeline>(clock_, nullptr);
  Configure(ByAlertname(kWait, kInterval, kRepeat));
  Post({{"alertname", "Durable"}}, kLease, /*started_ago=*/absl::Minutes(2));
  AdvanceTo(kWait + kInterval * 3);
  ASSERT_EQ(SentCount(), 1u);
  EXPECT_EQ(LastSent().dedup_id, first_dedup_id);
}

// A durable store that stores nothing and answers every call OK; the fakes below change one
// call each.
class NullStateStore : public storage::StateStore {
 public:
  absl::Status PutAlerts(const std::vector<alert::Alert>&) override { return absl::OkStatus(); }
  absl::Status DeleteAlerts(const std::vector<uint64_t>&) override { return absl::OkStatus(); }
  absl::StatusOr<std::vector<alert::Alert>> LoadAlerts() override {
    return std::vector<alert::Alert>();
  }
  absl::Status PutNotificationLog(const std::vector<nflog::Entry>&) override {
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<nflog::Entry>> LoadNotificationLog(absl::Time) override {
    return std::vector<nflog::Entry>();
  }
  absl::Status Prune(absl::Time, absl::Time, const std::vector<uint64_t>&) override {
    return absl::OkStatus();
  }
  absl::Status CheckWritable() override { return absl::OkStatus(); }
};

// Notification-log writes fail, as on a failing disk.
class NotificationLogWritesFail : public NullStateStore {
 public:
  absl::Status PutNotificationLog(const std::vector<nflog::Entry>&) override {
    return absl::UnavailableError("disk I/O error (injected)");
  }
};

// Serves annotations by fingerprint, counting the alerts read, or fails every read.
class AnnotationsByFingerprint : public NullStateStore {
 public:
  bool ServesAnnotations() const override { return true; }
  absl::Status ReadAnnotations(absl::Span<alert::Alert> alerts) override {
    if (!read_error.ok()) return read_error;
    for (alert::Alert& a : alerts) {
      ++alerts_read;
      const auto it = annotations.find(a.fingerprint);
      a.annotations = it == annotations.end() ? alert::LabelSet() : it->second;
    }
    return absl::OkStatus();
  }

  absl::flat_hash_map<uint64_t, alert::LabelSet> annotations;
  absl::Status read_error;
  int alerts_read = 0;
};

// Delivered is delivered, even when its record cannot be stored: counted, so that an operator
// can alert on it, and still recorded in memory, so this process does not repeat it.
TEST_F(EngineTest, UnloggedDeliveryIsCountedAndNotRepeated) {
  NotificationLogWritesFail store;
  pipeline_ = std::make_unique<Pipeline>(clock_, &store);
  Configure(ByAlertname(kWait, kInterval, kRepeat));
  Post({{"alertname", "DiskFailing"}}, kLease);
  AdvanceTo(kWait);
  ASSERT_EQ(SentCount(), 1u);
  EXPECT_EQ(pipeline_->stats().notifications_sent, 1u);
  EXPECT_EQ(pipeline_->stats().notification_log_write_failures, 1u);
  AdvanceTo(kWait + kInterval * 2);
  EXPECT_EQ(SentCount(), 1u);
  EXPECT_EQ(pipeline_->stats().notification_log_write_failures, 1u);
  pipeline_.reset();  // before `store`
}

// Held versions carry no annotations: each notification sent reads them from the source, a
// suppressed repeat reads nothing, and a failed read still sends the notification.
TEST_F(EngineTest, AnnotationsLeftToTheStoreAreReadForEachNotificationSent) {
  AnnotationsByFingerprint store;
  pipeline_ = std::make_unique<Pipeline>(clock_, &store, &store);
  Configure(ByAlertname(kWait, kInterval, kRepeat));
  auto post_without_annotations = [&](const std::string& instance) {
    alert::Alert a;
    a.labels = alert::LabelSet({{"alertname", "DiskFull"}, {"instance", instance}});
    a.annotations = alert::LabelSet({{"summary", "posted " + instance}});
    alert::Normalize(a, clock_.Now(), kResolveTimeout);
    a.ends_at = clock_.Now() + kLease;
    a.ends_at_from_timeout = false;
    store.annotations[a.fingerprint] = alert::LabelSet({{"summary", "stored " + instance}});
    dispatcher_->Insert(store::SharedAlert(a), clock_.Now());
  };
  post_without_annotations("a");
  AdvanceTo(kWait);
  ASSERT_EQ(SentCount(), 1u);
  ASSERT_EQ(LastSent().alerts.size(), 1u);
  EXPECT_EQ(LastSent().alerts[0].annotations, alert::LabelSet({{"summary", "stored a"}}));
  EXPECT_EQ(store.alerts_read, 1);

  AdvanceTo(kWait + kInterval * 2);  // two ticks, nothing new: suppressed, nothing read
  EXPECT_EQ(SentCount(), 1u);
  EXPECT_EQ(store.alerts_read, 1);

  store.read_error = absl::UnavailableError("database is locked (injected)");
  post_without_annotations("b");
  AdvanceTo(kWait + kInterval * 3);
  ASSERT_EQ(SentCount(), 2u);
  EXPECT_EQ(pipeline_->stats().annotation_read_failures, 1u);
  ASSERT_EQ(LastSent().alerts.size(), 2u);
  EXPECT_TRUE(LastSent().alerts[0].annotations.empty());
  EXPECT_TRUE(LastSent().alerts[1].annotations.empty());
  pipeline_.reset();  // before `store`
}

TEST_F(EngineTest, UnknownReceiverDropsWithoutLoopingForever) {
  RouteSpec root = ByAlertname(kWait, kInterval, kRepeat);
  root.receiver = "nobody";
  Configure(root);
  Post({{"alertname", "Lost"}}, absl::Minutes(1));
  AdvanceTo(kWait + kInterval * 2);
  EXPECT_EQ(integration_->attempts, 0);
  EXPECT_EQ(dispatcher_->group_count(), 0u);
}

}  // namespace
}  // namespace wecom_notify::dispatch

namespace wecom_notify::dispatch {
namespace {

TEST_F(EngineTest, HundredThousandAlertsInTenThousandGroupsAreHeldAndReleased) {
  RouteSpec root = ByAlertname(absl::Seconds(30), absl::Minutes(5), absl::Hours(12));
  root.group_by = std::vector<std::string>{"alertname", "namespace"};
  Configure(root);
  for (int i = 0; i < 100'000; ++i) {
    Post({{"alertname", absl::StrCat("Storm", i % 100)},
          {"namespace", absl::StrCat("ns", (i / 100) % 100)},
          {"pod", absl::StrCat("pod-", i)}},
         absl::Minutes(10));
  }
  EXPECT_EQ(dispatcher_->group_count(), 10'000u);
  EXPECT_EQ(dispatcher_->alert_count(), 100'000u);
  AdvanceTo(absl::Seconds(30));
  EXPECT_EQ(SentCount(), 10'000u);  // one message per group, not per alert
  // All resolve (endsAt 10m); their resolved notices go out and nothing is kept afterwards.
  AdvanceTo(absl::Seconds(30) + absl::Minutes(10));
  EXPECT_EQ(SentCount(), 20'000u);
  EXPECT_EQ(dispatcher_->group_count(), 0u);
  EXPECT_EQ(dispatcher_->alert_count(), 0u);
}

}  // namespace
}  // namespace wecom_notify::dispatch
