// File: libs/notify_server/health_service.h
//
// HealthService serves the standard grpc.health.v1.Health for notifyd as a whole (service ""):
// Check answers SERVING or NOT_SERVING, Watch sends the status and then every change. Any other
// service name is NOT_FOUND for Check and SERVICE_UNKNOWN for Watch, as with gRPC's default
// health service — which notifyd cannot use: it is built on gRPC's callback API, whose threads
// would take polling turns with notifyd's completion queue (libs/common/completion_queue_thread.h).
// This one uses gRPC's synchronous API: its threads wait on queues of their own.
//
// A Watch holds one of the synchronous server's threads while its client keeps it; it notices a
// client that went away within a second.
//
// Thread-safety: all methods may be called concurrently.

#ifndef WECOM_NOTIFY_LIBS_NOTIFY_SERVER_HEALTH_SERVICE_H_
#define WECOM_NOTIFY_LIBS_NOTIFY_SERVER_HEALTH_SERVICE_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace wecom_notify::notify_server {

class HealthService final : public grpc::health::v1::Health::Service {
 public:
  // Starts NOT_SERVING.
  HealthService() = default;

  // Sets the status reported from now on; ignored after Shutdown.
  void SetServing(bool serving);
  // Reports NOT_SERVING from now on and ends every Watch once it has sent that (UNAVAILABLE):
  // call before the gRPC server's shutdown, which would otherwise wait its grace period for
  // them.
  void Shutdown();

  grpc::Status Check(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::health::v1::HealthCheckResponse* response) override;
  grpc::Status Watch(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::ServerWriter<grpc::health::v1::HealthCheckResponse>* writer) override;

 private:
  using ServingStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

  absl::Mutex mu_;
  bool serving_ ABSL_GUARDED_BY(mu_) = false;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t changes_ ABSL_GUARDED_BY(mu_) = 0;  // wakes the Watches
};

}  // namespace wecom_notify::notify_server

#endif  // WECOM_NOTIFY_LIBS_NOTIFY_SERVER_HEALTH_SERVICE_H_
