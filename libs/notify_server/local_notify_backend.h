// File: libs/notify_server/local_notify_backend.h
//
// LocalNotifyBackend lets the shim's HTTP API run inside notifyd (--alerts-api.listen-address):
// each request calls the NotifyServer directly — the same NotifyService handlers, durable
// acknowledgement, readiness and config reload the gRPC services use — instead of a gRPC call
// over loopback, which cost about as much CPU as the rest of a single-alert request
// (docs/performance.md).
//
// Listings and config reloads run on a thread of the backend's own, one at a time and at low
// priority (libs/common/thread_priority.h): a listing of 100k alerts is seconds of CPU and a
// reload rebuilds every group, and on the HTTP I/O thread a request arrived on they would hold
// up every connection of that thread (one io_context per I/O thread, libs/http/server.cc).
//
// Thread-safety: as shim::NotifyBackend. `server` must outlive the backend and every call's
// callback; callbacks of Notify run on the group committer's thread (or inline when the
// request is rejected or nothing needs storing), of ListAlerts and ReloadConfig on the
// backend's thread ("alerts-api-bulk"), of CheckServing inline.

#ifndef WECOM_NOTIFY_LIBS_NOTIFY_SERVER_LOCAL_NOTIFY_BACKEND_H_
#define WECOM_NOTIFY_LIBS_NOTIFY_SERVER_LOCAL_NOTIFY_BACKEND_H_

#include <boost/asio/thread_pool.hpp>
#include <memory>

#include "libs/notify_server/notify_server.h"
#include "libs/shim/notify_backend.h"
#include "libs/shim/shim.h"

namespace wecom_notify::notify_server {

class LocalNotifyBackend : public shim::NotifyBackend {
 public:
  explicit LocalNotifyBackend(NotifyServer& server);
  // Waits for the listings and reloads already asked for.
  ~LocalNotifyBackend() override;

  // Decodes the request into alerts (as notifyd's gRPC service does) and handles it.
  void Notify(notify_wire::EncodedNotifyRequest request, NotifyDone done) override;
  // Handles alerts decoded already (alertmanager_json::DecodeAlertsBody): what the shim's HTTP
  // API hands notifyd in process (shim::ShimOptions::notify_alerts), sparing every alert an
  // encoding and its decoding.
  void NotifyAlerts(notify_wire::DecodedNotifyRequest request, NotifyDone done);
  void ListAlerts(wecom_notify::v1::ListAlertsRequest request, ListDone done) override;
  // Runs NotifyServer::ReloadConfigFile.
  void ReloadConfig(ReloadDone done) override;
  void CheckServing(absl::AnyInvocable<void(bool)> done) override;

 private:
  NotifyServer& server_;
  boost::asio::thread_pool bulk_{1};  // listings and reloads
};

// ConnectAlertsApi()
//
// Points the shim's options at `backend`, as notifyd serves the API: every call goes to it,
// posted alerts decoded (ShimOptions::notify_alerts) and never coalesced — without a gRPC hop per
// request there is nothing to save, and the group committer batches the writes anyway.
void ConnectAlertsApi(std::shared_ptr<LocalNotifyBackend> backend, shim::ShimOptions* api);

}  // namespace wecom_notify::notify_server

#endif  // WECOM_NOTIFY_LIBS_NOTIFY_SERVER_LOCAL_NOTIFY_BACKEND_H_
