// File: libs/notify_server/local_notify_backend.h
//
// LocalNotifyBackend lets the shim's HTTP API run inside notifyd (--alerts-api.listen-address):
// each request calls the NotifyServer directly — the same NotifyService handlers, durable
// acknowledgement, readiness and config reload the gRPC services use — instead of a gRPC call
// over loopback, which cost about as much CPU as the rest of a single-alert request
// (docs/performance.md).
//
// Thread-safety: as shim::NotifyBackend. `server` must outlive the backend and every call's
// callback; callbacks of Notify run on the group committer's thread (or inline when the
// request is rejected or nothing needs storing), the others inline.

#ifndef WECOM_NOTIFY_LIBS_NOTIFY_SERVER_LOCAL_NOTIFY_BACKEND_H_
#define WECOM_NOTIFY_LIBS_NOTIFY_SERVER_LOCAL_NOTIFY_BACKEND_H_

#include "libs/notify_server/notify_server.h"
#include "libs/shim/notify_backend.h"

namespace wecom_notify::notify_server {

class LocalNotifyBackend : public shim::NotifyBackend {
 public:
  explicit LocalNotifyBackend(NotifyServer& server) : server_(server) {}

  // Decodes the request into alerts (as notifyd's gRPC service does) and handles it.
  void Notify(notify_wire::EncodedNotifyRequest request, NotifyDone done) override;
  void ListAlerts(wecom_notify::v1::ListAlertsRequest request, ListDone done) override;
  // Runs NotifyServer::ReloadConfigFile on the calling thread.
  void ReloadConfig(ReloadDone done) override;
  void CheckServing(absl::AnyInvocable<void(bool)> done) override;

 private:
  NotifyServer& server_;
};

}  // namespace wecom_notify::notify_server

#endif  // WECOM_NOTIFY_LIBS_NOTIFY_SERVER_LOCAL_NOTIFY_BACKEND_H_
