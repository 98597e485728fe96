// File: libs/shim/notify_client.h
//
// The shim's asynchronous gRPC client of notifyd: Notify (as messages on one NotifyStream),
// ListAlerts, the Admin API's ReloadConfig and the standard health check. Each call takes a
// completion callback, so an HTTP I/O thread never blocks on notifyd. The callbacks run on the
// client's one completion thread (libs/common/completion_queue_thread.h) and must not block:
// the other calls' answers wait for them — except ListAlerts', which runs on a listing thread
// of its own after the answer was parsed there: a listing of many thousands of alerts, parsed
// and rendered as JSON on the completion thread, would hold back every Notify answer meanwhile.
//
// Thread-safety: all methods may be called concurrently.

#ifndef WECOM_NOTIFY_LIBS_SHIM_NOTIFY_CLIENT_H_
#define WECOM_NOTIFY_LIBS_SHIM_NOTIFY_CLIENT_H_

#include <grpcpp/channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>

#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "libs/common/completion_queue_thread.h"
#include "libs/shim/notify_backend.h"
#include "libs/shim/notify_stream_client.h"
#include "wecom_notify/v1/admin.grpc.pb.h"
#include "wecom_notify/v1/notify.grpc.pb.h"

namespace wecom_notify::shim {

class NotifyClient : public NotifyBackend {
 public:
  // `admin_token`, when non-empty, is sent as `authorization: Bearer` on Admin API calls
  // (notifyd --admin.token-file).
  NotifyClient(const std::string& target, absl::Duration timeout, std::string admin_token = "");
  // Waits for the calls in flight (bounded by their deadlines); the stream's fail at once.
  ~NotifyClient() override;

  // Sends the encoded request as it is, on the stream of NotifyStreamClient.
  void Notify(notify_wire::EncodedNotifyRequest request, NotifyDone done) override;
  void ListAlerts(wecom_notify::v1::ListAlertsRequest request, ListDone done) override;
  // Admin.ReloadConfig.
  void ReloadConfig(ReloadDone done) override;
  // `done(true)` iff notifyd answered SERVING within the timeout.
  void CheckServing(absl::AnyInvocable<void(bool)> done) override;

  // The admin token for the next Admin API calls (a rotated --admin.token-file); any thread.
  void SetAdminToken(std::string admin_token);

 private:
  using ListStub =
      grpc::TemplatedGenericStub<wecom_notify::v1::ListAlertsRequest, grpc::ByteBuffer>;

  // The destructor ends the stream, then the completion thread, then the listing thread.
  // Listings are parsed and rendered there ("listing", at low priority: thread_priority.h).
  boost::asio::thread_pool listings_{1};
  std::unique_ptr<CompletionQueueThread> completions_ =
      std::make_unique<CompletionQueueThread>("notify-client");
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<ListStub> list_stub_;
  std::unique_ptr<NotifyStreamClient> notify_stream_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
  std::unique_ptr<wecom_notify::v1::Admin::Stub> admin_;
  absl::Duration timeout_;
  absl::Mutex admin_token_mu_;
  std::string admin_token_ ABSL_GUARDED_BY(admin_token_mu_);
};

}  // namespace wecom_notify::shim

#endif  // WECOM_NOTIFY_LIBS_SHIM_NOTIFY_CLIENT_H_
