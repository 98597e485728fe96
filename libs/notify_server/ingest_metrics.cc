#include "libs/notify_server/ingest_metrics.h"

namespace wecom_notify::notify_server {

IngestMetrics::IngestMetrics(prometheus::Registry& registry)
    : received_(prometheus::BuildCounter()
                    .Name("wecom_notify_alerts_received_total")
                    .Help("Alerts received, by source (api, webhook, grpc) and status.")
                    .Register(registry)),
      invalid_(prometheus::BuildCounter()
                   .Name("wecom_notify_alerts_invalid_total")
                   .Help("Alerts rejected by validation, by source and reason.")
                   .Register(registry)) {}

prometheus::Counter& IngestMetrics::Received(const std::string& source, bool resolved) {
  return received_.Add({{"source", source}, {"status", resolved ? "resolved" : "firing"}});
}

prometheus::Counter& IngestMetrics::Invalid(const std::string& source, const std::string& reason) {
  return invalid_.Add({{"source", source}, {"reason", reason}});
}

}  // namespace wecom_notify::notify_server
