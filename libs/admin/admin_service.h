// File: libs/admin/admin_service.h
//
// AdminService implements wecom_notify.v1.Admin (proto/wecom_notify/v1/admin.proto) over plain
// dependencies — the ConfigStore (running configuration, persistence, apply), the Delivery
// (the real senders), a Clock — so tests build it without notifyd.
//
// Authentication: with a token, every call needs `authorization: Bearer <token>`. Without one,
// calls are open when `require_token` is false (notifyd on loopback) and refused otherwise.
// SetToken replaces the token for the calls that follow (a rotated --admin.token-file); the
// token it replaced is still accepted for `token_rotation_grace`, because its clients read the
// file on their own schedule (libs/auth/auth.h).
//
// Thread-safety: handlers run concurrently; changes are serialized by the ConfigStore.

#ifndef WECOM_NOTIFY_LIBS_ADMIN_ADMIN_SERVICE_H_
#define WECOM_NOTIFY_LIBS_ADMIN_ADMIN_SERVICE_H_

#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/admin/config_store.h"
#include "libs/auth/auth.h"
#include "libs/common/clock.h"
#include "libs/delivery/receivers.h"
#include "wecom_notify/v1/admin.grpc.pb.h"

namespace wecom_notify::admin {

struct AdminOptions {
  std::string token;           // empty: none configured
  bool require_token = false;  // true when the gRPC address is not loopback
  // How long a token SetToken replaced is still accepted (0: refused at once).
  absl::Duration token_rotation_grace = absl::Minutes(5);
  // Number of alerts held (GetStatus); may be empty.
  std::function<int64_t()> alert_count;
  // Re-reads the configuration file and applies it, answering the version now running
  // (ReloadConfig); empty: ReloadConfig answers UNIMPLEMENTED.
  std::function<absl::StatusOr<std::string>()> reload;
};

// True for 127.0.0.0/8, ::1 and localhost addresses ("127.0.0.1:9097", "[::1]:9097",
// "localhost:9097", "unix:..."); false for wildcard and other addresses.
bool IsLoopbackAddress(const std::string& listen_address);

class AdminService final : public v1::Admin::Service {
 public:
  AdminService(ConfigStore& store, delivery::Delivery& delivery, Clock& clock,
               AdminOptions options);

  grpc::Status GetConfig(grpc::ServerContext* context, const v1::GetConfigRequest* request,
                         v1::GetConfigResponse* response) override;
  grpc::Status ApplyConfig(grpc::ServerContext* context, const v1::ApplyConfigRequest* request,
                           v1::ApplyConfigResponse* response) override;
  grpc::Status ReloadConfig(grpc::ServerContext* context, const v1::ReloadConfigRequest* request,
                            v1::ReloadConfigResponse* response) override;
  grpc::Status ListReceivers(grpc::ServerContext* context, const v1::ListReceiversRequest* request,
                             v1::ListReceiversResponse* response) override;
  grpc::Status GetReceiver(grpc::ServerContext* context, const v1::GetReceiverRequest* request,
                           v1::Receiver* response) override;
  grpc::Status UpdateReceiver(grpc::ServerContext* context,
                              const v1::UpdateReceiverRequest* request,
                              v1::UpdateReceiverResponse* response) override;
  grpc::Status SendTestMessage(grpc::ServerContext* context,
                               const v1::SendTestMessageRequest* request,
                               v1::SendTestMessageResponse* response) override;
  // The token every call needs from now on. REQUIRES: a token was configured (non-empty), and
  // `token` is not empty: rotation replaces a token, it never opens the API.
  void SetToken(std::string token);

  grpc::Status TestRoute(grpc::ServerContext* context, const v1::TestRouteRequest* request,
                         v1::TestRouteResponse* response) override;
  grpc::Status GetStatus(grpc::ServerContext* context, const v1::GetStatusRequest* request,
                         v1::GetStatusResponse* response) override;

 private:
  grpc::Status Authorize(grpc::ServerContext* context) const;

  ConfigStore& store_;
  delivery::Delivery& delivery_;
  Clock& clock_;
  const AdminOptions options_;  // its token is the one configured at start; see token_
  const absl::Time started_at_;
  mutable absl::Mutex token_mu_;
  auth::RotatingAuthenticator token_ ABSL_GUARDED_BY(token_mu_);
};

}  // namespace wecom_notify::admin

#endif  // WECOM_NOTIFY_LIBS_ADMIN_ADMIN_SERVICE_H_
