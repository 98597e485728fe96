// File: libs/notify_server/notify_server.h
//
// NotifyServer is notifyd assembled: the gRPC server (Notify service, the standard health
// service, server reflection) and the HTTP server (GET /metrics, /-/healthy, /-/ready) over one
// AlertStore. services/notifyd/main.cc only parses flags and runs it; tests start it in-process
// on port 0.
//
// Thread-safety: Start and Shutdown are called from one owner thread.

#ifndef WECOM_NOTIFY_LIBS_NOTIFY_SERVER_NOTIFY_SERVER_H_
#define WECOM_NOTIFY_LIBS_NOTIFY_SERVER_NOTIFY_SERVER_H_

#include <grpcpp/server.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/common/clock.h"
#include "libs/http/server.h"
#include "libs/notify_server/ingest_metrics.h"
#include "libs/notify_server/notify_service.h"
#include "libs/store/alert_store.h"

namespace prometheus {
class Registry;
}

namespace wecom_notify::notify_server {

struct NotifyServerOptions {
  std::string grpc_listen_address = "127.0.0.1:9097";
  std::string web_listen_address = "127.0.0.1:9098";
  NotifyServiceOptions service;
};

class NotifyServer {
 public:
  // Start()
  //
  // Binds both listeners and starts serving. Errors: Unavailable when an address cannot be
  // bound, InvalidArgument when one is malformed. `clock` must outlive the server.
  static absl::StatusOr<std::unique_ptr<NotifyServer>> Start(const NotifyServerOptions& options,
                                                             Clock& clock);
  ~NotifyServer();

  // Stops taking requests: health turns NOT_SERVING, in-flight RPCs get `grace` to finish, then
  // both servers stop. Idempotent.
  void Shutdown(absl::Duration grace = absl::Seconds(5));

  int grpc_port() const { return grpc_port_; }
  int web_port() const { return web_server_->port(); }
  store::AlertStore& store() { return store_; }
  prometheus::Registry& registry() { return *registry_; }

 private:
  NotifyServer(Clock& clock, const NotifyServerOptions& options);

  std::shared_ptr<prometheus::Registry> registry_;
  IngestMetrics ingest_metrics_;
  store::AlertStore store_;
  NotifyService service_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::unique_ptr<http::Server> web_server_;
  int grpc_port_ = 0;
  bool shut_down_ = false;
};

}  // namespace wecom_notify::notify_server

#endif  // WECOM_NOTIFY_LIBS_NOTIFY_SERVER_NOTIFY_SERVER_H_
