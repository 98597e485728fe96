// File: libs/metrics/metrics_endpoint.h
//
// Serves a prometheus-cpp Registry as Prometheus text format on `GET /metrics` of an http::Router,
// so every binary exposes metrics on the same HTTP server as its health endpoints (no second
// listener, no civetweb). Also registers `wecom_notify_build_info` on the registry.

#ifndef WECOM_NOTIFY_LIBS_METRICS_METRICS_ENDPOINT_H_
#define WECOM_NOTIFY_LIBS_METRICS_METRICS_ENDPOINT_H_

#include <memory>
#include <string>
#include <vector>

#include "libs/http/server.h"

namespace prometheus {
class Collectable;
class Registry;
}

namespace wecom_notify::metrics {

// Adds `GET /metrics` serving `registry` to `router`, and a build-info gauge (value 1, labels
// version and component) to `registry`. The registry must outlive the router's server.
// `collectables` are collected on each scrape too, before the registry (so they may add series
// to it, e.g. zero-valued ones, in time for the same scrape).
void AddMetricsEndpoint(
    http::Router& router, std::shared_ptr<prometheus::Registry> registry,
    const std::string& component,
    std::vector<std::shared_ptr<const prometheus::Collectable>> collectables = {});

// Renders `collectables`, then `registry`, in the Prometheus text exposition format (used by
// tests too).
std::string Serialize(
    const prometheus::Registry& registry,
    const std::vector<std::shared_ptr<const prometheus::Collectable>>& collectables = {});

}  // namespace wecom_notify::metrics

#endif  // WECOM_NOTIFY_LIBS_METRICS_METRICS_ENDPOINT_H_
