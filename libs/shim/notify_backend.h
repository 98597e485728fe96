// File: libs/shim/notify_backend.h
//
// NotifyBackend is what the shim's HTTP handlers talk to: notifyd's Notify, ListAlerts, config
// reload and readiness, each answered through a completion callback. NotifyClient reaches a
// notifyd over gRPC (the sidecar); notify_server::LocalNotifyBackend calls a NotifyServer in
// the same process (notifyd --alerts-api.listen-address), which spares every request the gRPC
// hop. Statuses are grpc::Status in both, so a handler maps one set of codes to HTTP.
//
// Thread-safety: implementations allow concurrent calls; a callback may run on any thread,
// inline in the call included.

#ifndef WECOM_NOTIFY_LIBS_SHIM_NOTIFY_BACKEND_H_
#define WECOM_NOTIFY_LIBS_SHIM_NOTIFY_BACKEND_H_

#include <grpcpp/support/status.h>

#include "absl/functional/any_invocable.h"
#include "libs/notify_wire/notify_wire.h"
#include "wecom_notify/v1/notify.pb.h"

namespace wecom_notify::shim {

class NotifyBackend {
 public:
  using NotifyDone =
      absl::AnyInvocable<void(const grpc::Status&, const wecom_notify::v1::NotifyResponse&)>;
  using ListDone =
      absl::AnyInvocable<void(const grpc::Status&, const wecom_notify::v1::ListAlertsResponse&)>;
  using ReloadDone = absl::AnyInvocable<void(const grpc::Status&)>;

  virtual ~NotifyBackend() = default;

  // Stores the alerts (durably, as notifyd acknowledges) and answers OK with the rejected
  // ones; an error means nothing of the request was acknowledged. The request comes encoded:
  // the shim never builds the message (libs/notify_wire/notify_wire.h).
  virtual void Notify(notify_wire::EncodedNotifyRequest request, NotifyDone done) = 0;
  virtual void ListAlerts(wecom_notify::v1::ListAlertsRequest request, ListDone done) = 0;
  // notifyd re-reads its --config.file.
  virtual void ReloadConfig(ReloadDone done) = 0;
  // `done(true)` iff notifyd takes alerts now.
  virtual void CheckServing(absl::AnyInvocable<void(bool)> done) = 0;
};

}  // namespace wecom_notify::shim

#endif  // WECOM_NOTIFY_LIBS_SHIM_NOTIFY_BACKEND_H_
