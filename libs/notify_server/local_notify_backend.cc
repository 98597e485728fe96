// File: libs/notify_server/local_notify_backend.cc

#include "libs/notify_server/local_notify_backend.h"

#include <boost/asio/post.hpp>
#include <memory>
#include <utility>

#include "libs/common/grpc_status.h"
#include "libs/common/thread_priority.h"

namespace wecom_notify::notify_server {

LocalNotifyBackend::LocalNotifyBackend(NotifyServer& server) : server_(server) {
  boost::asio::post(bulk_, [] { BecomeBulkWorkThread("alerts-api-bulk"); });
}

LocalNotifyBackend::~LocalNotifyBackend() { bulk_.join(); }

void LocalNotifyBackend::Notify(notify_wire::EncodedNotifyRequest request, NotifyDone done) {
  auto decoded = notify_wire::DecodeNotifyRequest(std::move(request).Release());
  if (!decoded.ok()) {
    return done(ToGrpcStatus(decoded.status()), wecom_notify::v1::NotifyResponse());
  }
  NotifyAlerts(*std::move(decoded), std::move(done));
}

void LocalNotifyBackend::NotifyAlerts(notify_wire::DecodedNotifyRequest request, NotifyDone done) {
  // HandleNotify may answer on another thread, after this call returns: the response lives with
  // the callback until then.
  auto response = std::make_unique<wecom_notify::v1::NotifyResponse>();
  auto* response_ptr = response.get();
  server_.service().HandleNotify(
      std::move(request), response_ptr,
      [response = std::move(response), done = std::move(done)](absl::Status status) mutable {
        done(ToGrpcStatus(status), *response);
      });
}

void LocalNotifyBackend::ListAlerts(wecom_notify::v1::ListAlertsRequest request, ListDone done) {
  boost::asio::post(bulk_, [this, request = std::move(request), done = std::move(done)]() mutable {
    wecom_notify::v1::ListAlertsResponse response;
    const absl::Status status = server_.service().HandleListAlerts(request, &response);
    done(ToGrpcStatus(status), response);
  });
}

void LocalNotifyBackend::ReloadConfig(ReloadDone done) {
  boost::asio::post(bulk_, [this, done = std::move(done)]() mutable {
    done(ToGrpcStatus(server_.ReloadConfigFile("POST /-/reload (alerts API)").status()));
  });
}

void LocalNotifyBackend::CheckServing(absl::AnyInvocable<void(bool)> done) {
  done(server_.CheckReady().ok());
}

void ConnectAlertsApi(std::shared_ptr<LocalNotifyBackend> backend, shim::ShimOptions* api) {
  api->notify_alerts = [backend](notify_wire::DecodedNotifyRequest request,
                                 shim::NotifyBackend::NotifyDone done) {
    backend->NotifyAlerts(std::move(request), std::move(done));
  };
  api->backend = std::move(backend);
}

}  // namespace wecom_notify::notify_server
