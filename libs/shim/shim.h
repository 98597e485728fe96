// File: libs/shim/shim.h
//
// webhook-shim: the HTTP face of notifyd for the Alertmanager ecosystem. It speaks
// Alertmanager's wire formats and nothing else — translation and input checks — and forwards
// to notifyd, which owns every decision: over gRPC (the webhook-shim sidecar), or by direct
// calls when notifyd serves this API itself (ShimOptions::backend).
//
//   POST /api/v2/alerts   JSON array of postable alerts (Prometheus, amtool), or an Alertmanager
//                         webhook object posted to the same URL
//   POST /webhook         Alertmanager webhook payload v4
//   GET  /api/v2/alerts   Alertmanager's gettable alerts (amtool alert query)
//   GET  /api/v2/silences []: silences are the sending Alertmanager's (amtool silence query)
//   POST /api/v2/silences 404 saying so (amtool silence add)
//   GET  /-/healthy       the process is up
//   GET  /-/ready         notifyd answers its gRPC health check as SERVING
//   POST /-/reload        notifyd re-reads its --config.file (Admin.ReloadConfig): 200 empty, or
//                         500 "failed to reload config: <err>" (the old configuration keeps
//                         serving), 503 when notifyd cannot be reached — as Alertmanager answers
//   GET  /metrics         the shim's own metrics
//
// Delivery contract: 200 only after notifyd acknowledged (stored) the alerts. notifyd
// unreachable, slow or failing → 503/500, so Alertmanager and Prometheus retry; never
// 200-and-drop. Malformed JSON → 400 naming the position or field; alerts notifyd rejects → 400
// listing each with its index and reason, while the valid ones of the batch are kept (as
// Alertmanager does).
//
// Thread-safety: Start and Stop from one owner thread.

#ifndef WECOM_NOTIFY_LIBS_SHIM_SHIM_H_
#define WECOM_NOTIFY_LIBS_SHIM_SHIM_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/http/server.h"
#include "libs/notify_wire/notify_decoder.h"
#include "libs/shim/notify_backend.h"

namespace wecom_notify::shim {

struct ShimOptions {
  http::ServerOptions web;
  // notifyd's gRPC target, e.g. "127.0.0.1:9097" or "dns:///notifyd:9097".
  std::string notify_address = "127.0.0.1:9097";
  // Non-null: the notifyd to forward to, instead of a gRPC client of notify_address (then
  // notify_address, notify_timeout, notify_admin_token and its file are unused).
  std::shared_ptr<NotifyBackend> backend;
  // Set: posted alerts are parsed into the alert model (alertmanager_json::DecodeAlertsBody) and
  // handed here, instead of encoded for backend->Notify — for a notifyd serving this API in its
  // own process (LocalNotifyBackend::NotifyAlerts), which would only decode them again. Posts
  // are then never coalesced (as with notify_max_in_flight 0).
  std::function<void(notify_wire::DecodedNotifyRequest, NotifyBackend::NotifyDone)> notify_alerts;
  // Deadline of one forwarded call; beyond it the client gets 503 and retries.
  absl::Duration notify_timeout = absl::Seconds(10);
  // Requests to notifyd outstanding at once; requests arriving meanwhile are coalesced into the
  // next one (see notify_batcher.h). 0: one request to notifyd per HTTP request, no coalescing.
  int notify_max_in_flight = 2;
  // Bearer token of notifyd's Admin API (its --admin.token-file), for POST /-/reload.
  std::string notify_admin_token;
  // The file notify_admin_token was read from (empty: none), followed as the files below.
  std::string notify_admin_token_file;
  // Non-empty: require `Authorization: Bearer <bearer_token>` on the alert endpoints and
  // POST /-/reload.
  std::string bearer_token;
  // Non-empty username: require HTTP basic auth with these credentials on the alert endpoints
  // and POST /-/reload.
  std::string basic_username;
  std::string basic_password;
  // The files bearer_token and basic_password were read from (empty: none). Their content is
  // compared every credentials_watch_interval (0: never), and a changed file replaces its
  // credential at once — a rotated Kubernetes Secret applies with no restart, as Alertmanager
  // and Prometheus read their credentials_file anew for every request. A file that became
  // unreadable or empty is logged and the running credential kept.
  std::string bearer_token_file;
  std::string basic_password_file;
  absl::Duration credentials_watch_interval = absl::Seconds(10);
  // After such a change the replaced token or password is still accepted for this long (0:
  // refused at once), because Alertmanager, which does not retry a 401, may see the rotated
  // Secret minutes before or after this process does (libs/auth/auth.h: RotatingAuthenticator).
  absl::Duration credentials_rotation_grace = absl::Minutes(5);
};

class Shim {
 public:
  // Start()
  //
  // Serves on options.web.listen_address. notifyd need not be up yet: requests answer 503 until
  // it is. Errors: as http::Server::Start; InvalidArgument when both auth kinds are set.
  static absl::StatusOr<std::unique_ptr<Shim>> Start(const ShimOptions& options);

  virtual ~Shim() = default;
  virtual void Stop() = 0;
  virtual int port() const = 0;
};

}  // namespace wecom_notify::shim

#endif  // WECOM_NOTIFY_LIBS_SHIM_SHIM_H_
