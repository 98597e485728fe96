// File: libs/notify_server/dispatch_metrics.h
//
// The metrics of dispatch and delivery, declared in one place: notifications sent, failed and
// suppressed per receiver and integration kind, retries, send latency, alerts held, aggregation
// groups, flushes in flight, readiness, the durable store's group commits (with their queue and
// rejections) and configuration reloads.
//
// Most values live where the work happens (dispatch::Pipeline, DispatchLoop, AlertStore,
// storage::GroupCommitter) and are read at scrape time: DispatchMetrics is a
// prometheus::Collectable that builds those families from a snapshot taken by a callback, so
// nothing is counted twice and the pipeline stays free of prometheus. The latency histogram and
// the reload gauges are event-driven and live on the registry given to the constructor.
//
// Label values come from the configuration (receiver names, integration kinds) or closed sets
// (dispatch::kFailureReasons, alert states), never from alert content.
//
// Thread-safety: every method may be called concurrently.

#ifndef WECOM_NOTIFY_LIBS_NOTIFY_SERVER_DISPATCH_METRICS_H_
#define WECOM_NOTIFY_LIBS_NOTIFY_SERVER_DISPATCH_METRICS_H_

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "libs/dispatch/pipeline.h"
#include "libs/storage/group_committer.h"
#include "libs/storage/wal_checkpointer.h"

namespace wecom_notify::notify_server {

// What DispatchMetrics exports, read at scrape time.
struct DispatchSnapshot {
  dispatch::PipelineStats pipeline;
  std::size_t alerts_firing = 0;
  std::size_t alerts_resolved = 0;
  std::size_t aggregation_groups = 0;
  std::size_t flushes_in_flight = 0;
  // alert::LabelNames::size(): when it reaches the table's capacity, label sets with new names
  // keep them, and every value, inline (larger, still correct).
  std::size_t label_name_lists = 0;
  // Readiness::Check() is OK (what /-/ready and the gRPC health service answer).
  bool ready = true;
  // Absent when notifyd keeps no durable state: the storage families are then not exported.
  std::optional<storage::GroupCommitter::Stats> storage;
  // Absent unless the durable store checkpoints its WAL in the background (the default).
  std::optional<storage::WalCheckpointer::Stats> checkpoints;
};

class DispatchMetrics : public prometheus::Collectable {
 public:
  // `snapshot` is called on every Collect(), from the scraping thread. Registers
  // wecom_notify_notification_latency_seconds and the config-reload gauges on `registry`.
  DispatchMetrics(prometheus::Registry& registry, std::function<DispatchSnapshot()> snapshot);

  // wecom_notify_notifications_total, _failed_total, _suppressed_total,
  // wecom_notify_notification_retries_total, wecom_notify_alerts, _aggregation_groups,
  // _dispatch_flushes_in_flight, wecom_notify_label_name_lists, wecom_notify_ready and
  // wecom_notify_storage_*.
  std::vector<prometheus::MetricFamily> Collect() const override;

  // One send attempt of an integration of kind `integration` took `duration` (a
  // dispatch::LatencyObserver).
  void ObserveLatency(const std::string& integration, absl::Duration duration);

  // A configuration (re)load finished: wecom_notify_config_last_reload_successful, on success
  // wecom_notify_config_last_reload_success_timestamp_seconds = `at`, and unless it is the load
  // at start (`initial`) wecom_notify_config_reloads_total{result="success"|"failure"}.
  void ConfigReloaded(bool success, absl::Time at, bool initial = false);

 private:
  prometheus::Histogram& Latency(const std::string& integration) const;

  std::function<DispatchSnapshot()> snapshot_;
  prometheus::Family<prometheus::Histogram>& latency_;
  prometheus::Gauge& reload_successful_;
  prometheus::Gauge& reload_success_timestamp_;
  prometheus::Counter& reloads_succeeded_;
  prometheus::Counter& reloads_failed_;
};

}  // namespace wecom_notify::notify_server

#endif  // WECOM_NOTIFY_LIBS_NOTIFY_SERVER_DISPATCH_METRICS_H_
