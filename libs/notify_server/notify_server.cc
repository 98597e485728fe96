#include "libs/notify_server/notify_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <prometheus/registry.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "libs/logging/logging.h"
#include "libs/metrics/metrics_endpoint.h"

namespace wecom_notify::notify_server {
namespace {

// A webhook body may be up to the shim's 16 MiB limit; its protobuf is smaller, never larger.
constexpr int kMaxMessageBytes = 64 << 20;

}  // namespace

NotifyServer::NotifyServer(Clock& clock, const NotifyServerOptions& options)
    : registry_(std::make_shared<prometheus::Registry>()),
      ingest_metrics_(*registry_),
      service_(store_, clock, ingest_metrics_, options.service) {}

NotifyServer::~NotifyServer() { Shutdown(absl::ZeroDuration()); }

absl::StatusOr<std::unique_ptr<NotifyServer>> NotifyServer::Start(
    const NotifyServerOptions& options, Clock& clock) {
  std::unique_ptr<NotifyServer> server(new NotifyServer(clock, options));

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.grpc_listen_address, grpc::InsecureServerCredentials(),
                           &server->grpc_port_);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.RegisterService(&server->service_);
  server->grpc_server_ = builder.BuildAndStart();
  if (!server->grpc_server_ || server->grpc_port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("grpc.listen-address: cannot listen on ", options.grpc_listen_address));
  }
  server->grpc_server_->GetHealthCheckService()->SetServingStatus(true);

  http::Router router;
  metrics::AddMetricsEndpoint(router, server->registry_, "notifyd");
  router.Add("GET", "/-/healthy", [](const http::Request&, http::Responder respond) {
    std::move(respond)(http::Response::Text(200, "OK"));
  });
  router.Add("GET", "/-/ready", [](const http::Request&, http::Responder respond) {
    std::move(respond)(http::Response::Text(200, "OK"));
  });
  http::ServerOptions web;
  web.listen_address = options.web_listen_address;
  auto web_server = http::Server::Start(web, std::move(router));
  if (!web_server.ok()) {
    return absl::Status(web_server.status().code(),
                        absl::StrCat("web.listen-address: ", web_server.status().message()));
  }
  server->web_server_ = *std::move(web_server);
  logging::Info("notifyd listening",
                {{"grpc", absl::StrCat(options.grpc_listen_address, " (port ",
                                       server->grpc_port_, ")")},
                 {"web", absl::StrCat(options.web_listen_address, " (port ",
                                      server->web_server_->port(), ")")}});
  return server;
}

void NotifyServer::Shutdown(absl::Duration grace) {
  if (shut_down_) return;
  shut_down_ = true;
  if (grpc_server_) {
    grpc_server_->GetHealthCheckService()->SetServingStatus(false);
    grpc_server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(grace));
  }
  if (web_server_) web_server_->Stop();
}

}  // namespace wecom_notify::notify_server
