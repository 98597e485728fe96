// File: libs/notify_server/ingest_metrics.h
//
// The metrics of alert ingestion, declared in one place. Label values come from closed sets
// (source, status, reason codes), never from alert content, so cardinality stays bounded.

#ifndef WECOM_NOTIFY_LIBS_NOTIFY_SERVER_INGEST_METRICS_H_
#define WECOM_NOTIFY_LIBS_NOTIFY_SERVER_INGEST_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <string>

namespace wecom_notify::notify_server {

class IngestMetrics {
 public:
  explicit IngestMetrics(prometheus::Registry& registry);

  // wecom_notify_alerts_received_total{source, status}; source is api | webhook | grpc,
  // status is firing | resolved as judged at receive time. Counted before validation, as
  // Alertmanager counts, so invalid alerts appear here too.
  prometheus::Counter& Received(const std::string& source, bool resolved);

  // wecom_notify_alerts_invalid_total{source, reason}; reason is ValidationError::code.
  prometheus::Counter& Invalid(const std::string& source, const std::string& reason);

 private:
  prometheus::Family<prometheus::Counter>& received_;
  prometheus::Family<prometheus::Counter>& invalid_;
};

}  // namespace wecom_notify::notify_server

#endif  // WECOM_NOTIFY_LIBS_NOTIFY_SERVER_INGEST_METRICS_H_
