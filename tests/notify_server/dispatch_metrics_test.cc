// Dispatch and delivery metrics: the Pipeline's per-receiver/integration outcomes, and the exact
// series DispatchMetrics exports, serialized from an isolated registry.

#include "libs/notify_server/dispatch_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <deque>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "libs/common/clock.h"
#include "libs/dispatch/pipeline.h"
#include "libs/metrics/metrics_endpoint.h"

namespace wecom_notify::notify_server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Answers Notify with the queued statuses (OK once they run out); each send takes 40 ms of
// simulated time.
class ScriptedIntegration : public dispatch::Integration {
 public:
  ScriptedIntegration(SimulatedClock& clock, std::string name)
      : clock_(clock), name_(std::move(name)) {}
  const std::string& name() const override { return name_; }
  bool send_resolved() const override { return true; }
  absl::Status Notify(const dispatch::Notification&) override {
    clock_.Advance(absl::Milliseconds(40));
    if (answers.empty()) return absl::OkStatus();
    absl::Status status = answers.front();
    answers.pop_front();
    return status;
  }
  std::deque<absl::Status> answers;

 private:
  SimulatedClock& clock_;
  std::string name_;
};

dispatch::Flush MakeFlush(const std::string& receiver, const std::string& alertname,
                          absl::Time now) {
  dispatch::Flush flush;
  flush.id = 1;
  flush.group_key = "{}:{alertname=\"" + alertname + "\"}";
  flush.options.receiver = receiver;
  flush.options.group_interval = absl::Seconds(10);
  flush.now = now;
  alert::Alert a;
  a.labels = alert::LabelSet({{"alertname", alertname}});
  a.starts_at = now - absl::Minutes(1);
  a.fingerprint = std::hash<std::string>()(alertname);
  flush.alerts.push_back(a);
  flush.group_labels = a.labels;
  return flush;
}

TEST(FailureReasonTest, ClosedSet) {
  EXPECT_EQ(dispatch::FailureReason(absl::UnavailableError("x")), "unavailable");
  EXPECT_EQ(dispatch::FailureReason(absl::PermissionDeniedError("x")), "permission_denied");
  EXPECT_EQ(dispatch::FailureReason(absl::InvalidArgumentError("x")), "invalid_argument");
  EXPECT_EQ(dispatch::FailureReason(absl::DataLossError("x")), "other");
  EXPECT_EQ(dispatch::IntegrationKind("wecom_robot/3"), "wecom_robot");
}

TEST(PipelineStatsTest, PerReceiverAndIntegrationOutcomes) {
  SimulatedClock clock;
  dispatch::Pipeline pipeline(clock, nullptr);
  auto app0 = std::make_shared<ScriptedIntegration>(clock, "wecom_app/0");
  auto app1 = std::make_shared<ScriptedIntegration>(clock, "wecom_app/1");
  auto robot = std::make_shared<ScriptedIntegration>(clock, "wecom_robot/0");
  auto receivers = std::make_shared<dispatch::Receivers>();
  (*receivers)["ops"] = {app0, app1};
  (*receivers)["oncall"] = {robot};
  pipeline.SetReceivers(receivers);
  std::vector<std::pair<std::string, absl::Duration>> observed;
  pipeline.SetLatencyObserver(
      [&](const std::string& kind, absl::Duration took) { observed.emplace_back(kind, took); });

  // Known up front, all zero.
  dispatch::PipelineStats stats = pipeline.stats();
  ASSERT_EQ(stats.by_integration.size(), 2u);
  EXPECT_EQ(stats.by_integration.at({"ops", "wecom_app"}).sent, 0u);
  EXPECT_EQ(stats.by_integration.at({"oncall", "wecom_robot"}).failed_by_reason.at("unavailable"),
            0u);

  // ops: app0 sends after one retry, app1 is refused permanently.
  app0->answers = {absl::UnavailableError("down")};
  app1->answers = {absl::PermissionDeniedError("ip not allowed")};
  EXPECT_FALSE(pipeline.Run(MakeFlush("ops", "DiskFull", clock.Now())));
  // oncall: sent; the same content again is suppressed.
  const dispatch::Flush robot_flush = MakeFlush("oncall", "CpuHigh", clock.Now());
  EXPECT_TRUE(pipeline.Run(robot_flush));
  EXPECT_TRUE(pipeline.Run(robot_flush));

  stats = pipeline.stats();
  EXPECT_EQ(stats.notifications_sent, 2u);
  EXPECT_EQ(stats.notifications_failed, 1u);
  EXPECT_EQ(stats.notifications_suppressed, 1u);
  EXPECT_EQ(stats.retries, 1u);
  const dispatch::IntegrationStats& ops = stats.by_integration.at({"ops", "wecom_app"});
  EXPECT_EQ(ops.sent, 1u);
  EXPECT_EQ(ops.failed, 1u);
  EXPECT_EQ(ops.failed_by_reason.at("permission_denied"), 1u);
  EXPECT_EQ(ops.failed_by_reason.at("unavailable"), 0u);  // retried, then sent
  EXPECT_EQ(stats.by_integration.at({"oncall", "wecom_robot"}).sent, 1u);
  // Attempts: app0 twice, app1 once, robot once; each took 40 ms.
  ASSERT_EQ(observed.size(), 4u);
  for (const auto& [kind, took] : observed) EXPECT_EQ(took, absl::Milliseconds(40)) << kind;
  EXPECT_EQ(observed.back().first, "wecom_robot");
}

TEST(DispatchMetricsTest, ExportsExactSeries) {
  prometheus::Registry registry;
  DispatchSnapshot snapshot;
  dispatch::IntegrationStats ops;
  ops.sent = 3;
  ops.failed = 1;
  for (const char* reason : dispatch::kFailureReasons) ops.failed_by_reason[reason] = 0;
  ops.failed_by_reason["permission_denied"] = 1;
  snapshot.pipeline.by_integration[{"ops", "wecom_app"}] = ops;
  snapshot.pipeline.notifications_suppressed = 7;
  snapshot.pipeline.retries = 2;
  snapshot.pipeline.notification_log_write_failures = 4;
  snapshot.pipeline.annotation_read_failures = 8;
  snapshot.alerts_firing = 5;
  snapshot.alerts_resolved = 1;
  snapshot.aggregation_groups = 4;
  snapshot.flushes_in_flight = 1;
  snapshot.label_name_lists = 6;
  storage::GroupCommitter::Stats storage;
  storage.batches = 9;
  storage.failed_batches = 1;
  storage.alerts = 12;
  storage.rejected_full = 3;
  storage.pending_alerts = 40;
  storage.failed_compactions = 2;
  snapshot.storage = storage;
  storage::WalCheckpointer::Stats checkpoints;
  checkpoints.checkpoints = 11;
  checkpoints.failures = 1;
  checkpoints.last_wal_frames = 300;
  snapshot.checkpoints = checkpoints;
  snapshot.ready = false;
  auto metrics = std::make_shared<DispatchMetrics>(registry, [&] { return snapshot; });
  metrics->ConfigReloaded(true, absl::FromUnixSeconds(1700000000));
  metrics->ObserveLatency("wecom_app", absl::Milliseconds(30));

  const std::string text = metrics::Serialize(registry, {metrics});
  for (const char* series : {
           "wecom_notify_notifications_total{integration=\"wecom_app\",receiver=\"ops\"} 3\n",
           "wecom_notify_notifications_failed_total{integration=\"wecom_app\",reason="
           "\"permission_denied\",receiver=\"ops\"} 1\n",
           "wecom_notify_notifications_failed_total{integration=\"wecom_app\",reason="
           "\"unavailable\",receiver=\"ops\"} 0\n",
           "wecom_notify_notifications_suppressed_total{reason=\"dedup\"} 7\n",
           "wecom_notify_notification_retries_total 2\n",
           "wecom_notify_notification_log_failed_writes_total 4\n",
           "wecom_notify_notification_annotation_failed_reads_total 8\n",
           "wecom_notify_alerts{state=\"firing\"} 5\n",
           "wecom_notify_alerts{state=\"resolved\"} 1\n",
           "wecom_notify_aggregation_groups 4\n",
           "wecom_notify_dispatch_flushes_in_flight 1\n",
           "wecom_notify_label_name_lists 6\n",
           "wecom_notify_storage_batches_total 9\n",
           "wecom_notify_storage_failed_batches_total 1\n",
           "wecom_notify_storage_alerts_written_total 12\n",
           "wecom_notify_storage_rejected_requests_total{reason=\"queue_full\"} 3\n",
           "wecom_notify_storage_rejected_requests_total{reason=\"shutdown\"} 0\n",
           "wecom_notify_storage_queued_alerts 40\n",
           "wecom_notify_storage_failed_compactions_total 2\n",
           "wecom_notify_storage_wal_checkpoints_total 11\n",
           "wecom_notify_storage_failed_wal_checkpoints_total 1\n",
           "wecom_notify_storage_wal_frames 300\n",
           "wecom_notify_ready 0\n",
           "wecom_notify_config_last_reload_successful 1\n",
           "wecom_notify_config_last_reload_success_timestamp_seconds 1700000000\n",
           "wecom_notify_notification_latency_seconds_count{integration=\"wecom_app\"} 1\n",
           "wecom_notify_notification_latency_seconds_bucket{integration=\"wecom_app\",le=\"0."
           "025\"} 0\n",
           "wecom_notify_notification_latency_seconds_bucket{integration=\"wecom_app\",le=\"0.05\"}"
           " 1\n",
           "# TYPE wecom_notify_notifications_total counter\n",
           "# TYPE wecom_notify_alerts gauge\n",
           "# TYPE wecom_notify_notification_latency_seconds histogram\n",
       }) {
    EXPECT_THAT(text, HasSubstr(series)) << text;
  }
  // Nine reasons, one receiver/integration: nine failed series.
  std::size_t failed_series = 0;
  for (std::size_t at = 0;
       (at = text.find("\nwecom_notify_notifications_failed_total{", at)) != std::string::npos;
       ++at) {
    ++failed_series;
  }
  EXPECT_EQ(failed_series, 9u);

  // A failed reload keeps the last success's timestamp.
  metrics->ConfigReloaded(false, absl::FromUnixSeconds(1700000100));
  const std::string after = metrics::Serialize(registry, {metrics});
  EXPECT_THAT(after, HasSubstr("wecom_notify_config_last_reload_successful 0\n"));
  EXPECT_THAT(after,
              HasSubstr("wecom_notify_config_last_reload_success_timestamp_seconds 1700000000\n"));
}

TEST(DispatchMetricsTest, NoStorageFamiliesWithoutDurableState) {
  prometheus::Registry registry;
  auto metrics = std::make_shared<DispatchMetrics>(registry, [] { return DispatchSnapshot(); });
  const std::string text = metrics::Serialize(registry, {metrics});
  EXPECT_THAT(text, Not(HasSubstr("wecom_notify_storage_")));
  EXPECT_THAT(text, HasSubstr("wecom_notify_aggregation_groups 0\n"));
  EXPECT_THAT(text, HasSubstr("wecom_notify_notification_retries_total 0\n"));
  EXPECT_THAT(text, HasSubstr("wecom_notify_ready 1\n"));
}

TEST(DispatchMetricsTest, ReloadsAreCountedByResultButNotTheLoadAtStart) {
  prometheus::Registry registry;
  auto metrics = std::make_shared<DispatchMetrics>(registry, nullptr);
  metrics->ConfigReloaded(true, absl::FromUnixSeconds(1), /*initial=*/true);
  metrics->ConfigReloaded(false, absl::FromUnixSeconds(2));
  metrics->ConfigReloaded(true, absl::FromUnixSeconds(3));
  metrics->ConfigReloaded(false, absl::FromUnixSeconds(4));
  const std::string text = metrics::Serialize(registry, {metrics});
  EXPECT_THAT(text, HasSubstr("wecom_notify_config_reloads_total{result=\"failure\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("wecom_notify_config_reloads_total{result=\"success\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("wecom_notify_config_last_reload_successful 0\n"));
  EXPECT_THAT(text, HasSubstr("wecom_notify_config_last_reload_success_timestamp_seconds 3\n"));
}

}  // namespace
}  // namespace wecom_notify::notify_server
