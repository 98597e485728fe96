#include "libs/metrics/metrics_endpoint.h"

#include <prometheus/collectable.h>
#include <prometheus/gauge.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <utility>

#include "libs/metrics/version.h"

namespace wecom_notify::metrics {

std::string Serialize(
    const prometheus::Registry& registry,
    const std::vector<std::shared_ptr<const prometheus::Collectable>>& collectables) {
  std::vector<prometheus::MetricFamily> families;
  for (const auto& collectable : collectables) {
    for (auto& family : collectable->Collect()) families.push_back(std::move(family));
  }
  for (auto& family : registry.Collect()) families.push_back(std::move(family));
  return prometheus::TextSerializer().Serialize(families);
}

void AddMetricsEndpoint(http::Router& router, std::shared_ptr<prometheus::Registry> registry,
                        const std::string& component,
                        std::vector<std::shared_ptr<const prometheus::Collectable>> collectables) {
  prometheus::BuildGauge()
      .Name("wecom_notify_build_info")
      .Help("A metric with a constant value 1, labelled by the version and component built.")
      .Register(*registry)
      .Add({{"version", kVersion}, {"component", component}})
      .Set(1);
  router.Add("GET", "/metrics",
             [registry = std::move(registry), collectables = std::move(collectables)](
                 const http::Request&, http::Responder respond) {
               http::Response response =
                   http::Response::Text(200, Serialize(*registry, collectables));
               response.content_type = "text/plain; version=0.0.4; charset=utf-8";
               std::move(respond)(std::move(response));
             });
}

}  // namespace wecom_notify::metrics
