#include "libs/notify_server/health_service.h"

#include <optional>

#include "absl/time/time.h"

namespace wecom_notify::notify_server {

using grpc::health::v1::HealthCheckResponse;

void HealthService::SetServing(bool serving) {
  absl::MutexLock lock(&mu_);
  if (shut_down_ || serving_ == serving) return;
  serving_ = serving;
  ++changes_;
}

void HealthService::Shutdown() {
  absl::MutexLock lock(&mu_);
  shut_down_ = true;
  serving_ = false;
  ++changes_;
}

grpc::Status HealthService::Check(grpc::ServerContext* /*context*/,
                                  const grpc::health::v1::HealthCheckRequest* request,
                                  HealthCheckResponse* response) {
  if (!request->service().empty()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "service: only \"\" (notifyd) is known");
  }
  absl::MutexLock lock(&mu_);
  response->set_status(serving_ ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING);
  return grpc::Status::OK;
}

grpc::Status HealthService::Watch(grpc::ServerContext* context,
                                  const grpc::health::v1::HealthCheckRequest* request,
                                  grpc::ServerWriter<HealthCheckResponse>* writer) {
  const bool known = request->service().empty();
  std::optional<ServingStatus> sent;
  absl::MutexLock lock(&mu_);
  while (!context->IsCancelled()) {
    const uint64_t seen = changes_;
    const ServingStatus status = !known     ? HealthCheckResponse::SERVICE_UNKNOWN
                                 : serving_ ? HealthCheckResponse::SERVING
                                            : HealthCheckResponse::NOT_SERVING;
    const bool ending = shut_down_;
    if (status != sent) {
      HealthCheckResponse response;
      response.set_status(status);
      mu_.Unlock();
      const bool written = writer->Write(response);
      mu_.Lock();
      if (!written) break;  // the client is gone
      sent = status;
    }
    if (ending) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "notifyd is shutting down");
    }
    // The timeout notices a client that went away while nothing changed.
    auto changed = [this, seen]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return changes_ != seen; };
    mu_.AwaitWithTimeout(absl::Condition(&changed), absl::Seconds(1));
  }
  return grpc::Status(grpc::StatusCode::CANCELLED, "the client went away");
}

}  // namespace wecom_notify::notify_server
