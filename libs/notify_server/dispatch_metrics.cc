#include "libs/notify_server/dispatch_metrics.h"

#include <utility>

namespace wecom_notify::notify_server {
namespace {

// Send latency: WeCom answers in tens of milliseconds; a retry-worthy timeout takes seconds.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20};
  return *buckets;
}

prometheus::MetricFamily Family(std::string name, std::string help, prometheus::MetricType type) {
  prometheus::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  return family;
}

void AddCounter(prometheus::MetricFamily& family,
                std::vector<prometheus::ClientMetric::Label> labels, double value) {
  prometheus::ClientMetric metric;
  metric.label = std::move(labels);
  metric.counter.value = value;
  family.metric.push_back(std::move(metric));
}

void AddGauge(prometheus::MetricFamily& family, std::vector<prometheus::ClientMetric::Label> labels,
              double value) {
  prometheus::ClientMetric metric;
  metric.label = std::move(labels);
  metric.gauge.value = value;
  family.metric.push_back(std::move(metric));
}

// Appends a family of one unlabelled series, a counter or a gauge by `type`.
void PushSingle(std::vector<prometheus::MetricFamily>& out, std::string name, std::string help,
                prometheus::MetricType type, double value) {
  prometheus::MetricFamily family = Family(std::move(name), std::move(help), type);
  if (type == prometheus::MetricType::Counter) {
    AddCounter(family, {}, value);
  } else {
    AddGauge(family, {}, value);
  }
  out.push_back(std::move(family));
}

// Registered once; BuildCounter().Register answers the existing family the second time.
prometheus::Family<prometheus::Counter>& ReloadsFamily(prometheus::Registry& registry) {
  return prometheus::BuildCounter()
      .Name("wecom_notify_config_reloads_total")
      .Help("Configuration reloads after start (SIGHUP, /-/reload, file change, admin API), by "
            "result; a failed one left the running configuration in place.")
      .Register(registry);
}

}  // namespace

DispatchMetrics::DispatchMetrics(prometheus::Registry& registry,
                                 std::function<DispatchSnapshot()> snapshot)
    : snapshot_(std::move(snapshot)),
      latency_(prometheus::BuildHistogram()
                   .Name("wecom_notify_notification_latency_seconds")
                   .Help("Duration of one send attempt of a notification, by integration kind.")
                   .Register(registry)),
      reload_successful_(prometheus::BuildGauge()
                             .Name("wecom_notify_config_last_reload_successful")
                             .Help("Whether the last configuration reload attempt was successful.")
                             .Register(registry)
                             .Add({})),
      reload_success_timestamp_(
          prometheus::BuildGauge()
              .Name("wecom_notify_config_last_reload_success_timestamp_seconds")
              .Help("Timestamp of the last successful configuration reload.")
              .Register(registry)
              .Add({})),
      reloads_succeeded_(ReloadsFamily(registry).Add({{"result", "success"}})),
      reloads_failed_(ReloadsFamily(registry).Add({{"result", "failure"}})) {}

prometheus::Histogram& DispatchMetrics::Latency(const std::string& integration) const {
  return latency_.Add({{"integration", integration}}, LatencyBuckets());
}

void DispatchMetrics::ObserveLatency(const std::string& integration, absl::Duration duration) {
  Latency(integration).Observe(absl::ToDoubleSeconds(duration));
}

void DispatchMetrics::ConfigReloaded(bool success, absl::Time at, bool initial) {
  reload_successful_.Set(success ? 1 : 0);
  if (!initial) (success ? reloads_succeeded_ : reloads_failed_).Increment();
  if (success) reload_success_timestamp_.Set(absl::ToDoubleSeconds(at - absl::UnixEpoch()));
}

std::vector<prometheus::MetricFamily> DispatchMetrics::Collect() const {
  using prometheus::MetricType;
  const DispatchSnapshot s = snapshot_ ? snapshot_() : DispatchSnapshot();
  std::vector<prometheus::MetricFamily> out;

  auto sent = Family("wecom_notify_notifications_total",
                     "Notifications the channel accepted, by receiver and integration kind.",
                     MetricType::Counter);
  auto failed = Family("wecom_notify_notifications_failed_total",
                       "Notifications given up on for a flush after retries, by receiver, "
                       "integration kind and reason (the status code of the last attempt).",
                       MetricType::Counter);
  for (const auto& [key, stats] : s.pipeline.by_integration) {
    const auto& [receiver, integration] = key;
    AddCounter(sent, {{"integration", integration}, {"receiver", receiver}},
               static_cast<double>(stats.sent));
    for (const auto& [reason, count] : stats.failed_by_reason) {
      AddCounter(failed, {{"integration", integration}, {"reason", reason}, {"receiver", receiver}},
                 static_cast<double>(count));
    }
    // Latency series from zero for every configured kind (Add is idempotent).
    Latency(integration);
  }
  out.push_back(std::move(sent));
  out.push_back(std::move(failed));

  auto suppressed = Family("wecom_notify_notifications_suppressed_total",
                           "Notifications not sent, by reason (dedup: the notification log shows "
                           "the same content was already sent within repeat_interval).",
                           MetricType::Counter);
  AddCounter(suppressed, {{"reason", "dedup"}},
             static_cast<double>(s.pipeline.notifications_suppressed));
  out.push_back(std::move(suppressed));
  PushSingle(out, "wecom_notify_notification_log_failed_writes_total",
             "Notifications delivered whose notification-log entry the durable store failed to "
             "write; a restart before the group's next logged notification may repeat them.",
             MetricType::Counter, static_cast<double>(s.pipeline.notification_log_write_failures));
  PushSingle(out, "wecom_notify_notification_annotation_failed_reads_total",
             "Notifications sent without their alerts' annotations because the durable store "
             "failed to read them (notifyd holds annotations only there).",
             MetricType::Counter, static_cast<double>(s.pipeline.annotation_read_failures));

  PushSingle(out, "wecom_notify_notification_retries_total",
             "Send attempts repeated after a retryable failure.", MetricType::Counter,
             static_cast<double>(s.pipeline.retries));

  auto alerts = Family("wecom_notify_alerts", "Alerts held, by state.", MetricType::Gauge);
  AddGauge(alerts, {{"state", "firing"}}, static_cast<double>(s.alerts_firing));
  AddGauge(alerts, {{"state", "resolved"}}, static_cast<double>(s.alerts_resolved));
  out.push_back(std::move(alerts));

  PushSingle(out, "wecom_notify_aggregation_groups", "Aggregation groups held.", MetricType::Gauge,
             static_cast<double>(s.aggregation_groups));

  PushSingle(out, "wecom_notify_dispatch_flushes_in_flight",
             "Group flushes taken for delivery and not yet completed.", MetricType::Gauge,
             static_cast<double>(s.flushes_in_flight));

  PushSingle(out, "wecom_notify_label_name_lists",
             "Distinct lists of label names interned, which label sets share instead of "
             "holding their names and the values of the list's first set; at 4096 the table is "
             "full and sets with new names hold them inline (more memory per alert).",
             MetricType::Gauge, static_cast<double>(s.label_name_lists));

  PushSingle(out, "wecom_notify_ready",
             "1 while notifyd takes alerts (the durable store accepts writes); 0 while "
             "/-/ready and the gRPC health service answer not ready.",
             MetricType::Gauge, s.ready ? 1 : 0);

  if (s.storage) {
    PushSingle(out, "wecom_notify_storage_batches_total",
               "Group-commit batches written to the durable store.", MetricType::Counter,
               static_cast<double>(s.storage->batches));
    PushSingle(out, "wecom_notify_storage_failed_batches_total",
               "Group-commit batches the durable store failed to write.", MetricType::Counter,
               static_cast<double>(s.storage->failed_batches));
    PushSingle(out, "wecom_notify_storage_alerts_written_total",
               "Alerts written to the durable store in group-commit batches.", MetricType::Counter,
               static_cast<double>(s.storage->alerts));
    auto rejected = Family("wecom_notify_storage_rejected_requests_total",
                           "Ingest requests refused before writing, by reason (queue_full: the "
                           "group-commit queue was at its bound; shutdown: notifyd was stopping).",
                           MetricType::Counter);
    AddCounter(rejected, {{"reason", "queue_full"}}, static_cast<double>(s.storage->rejected_full));
    AddCounter(rejected, {{"reason", "shutdown"}},
               static_cast<double>(s.storage->rejected_shutdown));
    out.push_back(std::move(rejected));
    PushSingle(
        out, "wecom_notify_storage_failed_compactions_total",
        "Compactions of the durable store's alert log (reclaiming superseded rows) that failed; "
        "nothing stored is lost, the rows are reclaimed by a later try.",
        MetricType::Counter, static_cast<double>(s.storage->failed_compactions));
    PushSingle(out, "wecom_notify_storage_queued_alerts",
               "Accepted alerts waiting for the next group-commit batch (queue depth).",
               MetricType::Gauge, static_cast<double>(s.storage->pending_alerts));
  }
  if (s.checkpoints) {
    PushSingle(out, "wecom_notify_storage_wal_checkpoints_total",
               "Checkpoints of the durable store's WAL (copying it into the "
               "database file and syncing it to disk) that succeeded.",
               MetricType::Counter, static_cast<double>(s.checkpoints->checkpoints));
    PushSingle(out, "wecom_notify_storage_failed_wal_checkpoints_total",
               "WAL checkpoints that failed (retried every 100 ms); while they fail the "
               "WAL grows and acknowledged alerts are not yet synced to disk.",
               MetricType::Counter, static_cast<double>(s.checkpoints->failures));
    PushSingle(out, "wecom_notify_storage_wal_frames",
               "Pages (4 KiB) in the WAL at the latest checkpoint; it is restarted at "
               "16384, so a higher value means checkpoints do not keep up.",
               MetricType::Gauge, static_cast<double>(s.checkpoints->last_wal_frames));
  }
  return out;
}

}  // namespace wecom_notify::notify_server
