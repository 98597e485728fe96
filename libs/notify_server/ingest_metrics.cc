#include "libs/notify_server/ingest_metrics.h"

#include "libs/alert/validate.h"

namespace wecom_notify::notify_server {

IngestMetrics::IngestMetrics(prometheus::Registry& registry)
    : received_family_(prometheus::BuildCounter()
                           .Name("wecom_notify_alerts_received_total")
                           .Help("Alerts received, by source (api, webhook, grpc) and status.")
                           .Register(registry)),
      invalid_(prometheus::BuildCounter()
                   .Name("wecom_notify_alerts_invalid_total")
                   .Help("Alerts rejected by validation, by source and reason.")
                   .Register(registry)) {
  for (int s = 0; s < kIngestSourceCount; ++s) {
    const std::string& source = SourceName(static_cast<IngestSource>(s));
    received_[s][0] = &received_family_.Add({{"source", source}, {"status", "firing"}});
    received_[s][1] = &received_family_.Add({{"source", source}, {"status", "resolved"}});
    for (const char* reason : alert::kValidationErrorCodes) {
      invalid_.Add({{"source", source}, {"reason", reason}});
    }
  }
}

prometheus::Counter& IngestMetrics::Invalid(IngestSource source, const std::string& reason) {
  return invalid_.Add({{"source", SourceName(source)}, {"reason", reason}});
}

const std::string& IngestMetrics::SourceName(IngestSource source) {
  static const std::string kApi = "api", kWebhook = "webhook", kGrpc = "grpc";
  switch (source) {
    case IngestSource::kApi:
      return kApi;
    case IngestSource::kWebhook:
      return kWebhook;
    case IngestSource::kGrpc:
      break;
  }
  return kGrpc;
}

}  // namespace wecom_notify::notify_server
