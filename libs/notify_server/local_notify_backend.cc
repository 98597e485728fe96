// File: libs/notify_server/local_notify_backend.cc

#include "libs/notify_server/local_notify_backend.h"

#include <memory>
#include <utility>

#include <google/protobuf/arena.h>

#include "libs/common/grpc_status.h"

namespace wecom_notify::notify_server {

void LocalNotifyBackend::Notify(notify_wire::EncodedNotifyRequest request, NotifyDone done) {
  // HandleNotify may answer on another thread, after this call returns: the request and the
  // response live with the callback until then.
  struct Call {
    google::protobuf::Arena arena;
    wecom_notify::v1::NotifyRequest* request =
        google::protobuf::Arena::CreateMessage<wecom_notify::v1::NotifyRequest>(&arena);
    wecom_notify::v1::NotifyResponse* response =
        google::protobuf::Arena::CreateMessage<wecom_notify::v1::NotifyResponse>(&arena);
    NotifyDone done;
  };
  auto call = std::make_unique<Call>();
  call->done = std::move(done);
  if (!call->request->ParseFromString(std::move(request).Release())) {
    return call->done(grpc::Status(grpc::StatusCode::INTERNAL, "encoded Notify request is corrupt"),
                      *call->response);
  }
  Call& ref = *call;
  server_.service().HandleNotify(*ref.request, ref.response,
                                 [call = std::move(call)](absl::Status status) mutable {
                                   call->done(ToGrpcStatus(status), *call->response);
                                 });
}

void LocalNotifyBackend::ListAlerts(wecom_notify::v1::ListAlertsRequest request, ListDone done) {
  wecom_notify::v1::ListAlertsResponse response;
  const absl::Status status = server_.service().HandleListAlerts(request, &response);
  done(ToGrpcStatus(status), response);
}

void LocalNotifyBackend::ReloadConfig(ReloadDone done) {
  done(ToGrpcStatus(server_.ReloadConfigFile("POST /-/reload (alerts API)").status()));
}

void LocalNotifyBackend::CheckServing(absl::AnyInvocable<void(bool)> done) {
  done(server_.CheckReady().ok());
}

}  // namespace wecom_notify::notify_server
