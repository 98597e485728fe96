// File: libs/notify_server/ingest_metrics.h
//
// The metrics of alert ingestion, declared in one place. Label values come from closed sets
// (source, status, reason codes), never from alert content, so cardinality stays bounded; every
// series exists from start at 0, so rate() and absent() work before the first alert.
//
// Received() is on the per-alert hot path: it returns a counter created at construction, with no
// label-map building or family lookup per alert.
//
// Thread-safety: every method may be called concurrently.

#ifndef WECOM_NOTIFY_LIBS_NOTIFY_SERVER_INGEST_METRICS_H_
#define WECOM_NOTIFY_LIBS_NOTIFY_SERVER_INGEST_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <array>
#include <string>

namespace wecom_notify::notify_server {

// Where an alert came from: the `source` label.
enum class IngestSource { kApi, kWebhook, kGrpc };
inline constexpr int kIngestSourceCount = 3;

class IngestMetrics {
 public:
  explicit IngestMetrics(prometheus::Registry& registry);

  // wecom_notify_alerts_received_total{source, status}; source is api | webhook | grpc,
  // status is firing | resolved as judged at receive time. Counted before validation, as
  // Alertmanager counts, so invalid alerts appear here too.
  prometheus::Counter& Received(IngestSource source, bool resolved) {
    return *received_[static_cast<int>(source)][resolved ? 1 : 0];
  }

  // wecom_notify_alerts_invalid_total{source, reason}; reason is ValidationError::code.
  prometheus::Counter& Invalid(IngestSource source, const std::string& reason);

  static const std::string& SourceName(IngestSource source);

 private:
  prometheus::Family<prometheus::Counter>& received_family_;
  prometheus::Family<prometheus::Counter>& invalid_;
  // [source][resolved]
  std::array<std::array<prometheus::Counter*, 2>, kIngestSourceCount> received_{};
};

}  // namespace wecom_notify::notify_server

#endif  // WECOM_NOTIFY_LIBS_NOTIFY_SERVER_INGEST_METRICS_H_
