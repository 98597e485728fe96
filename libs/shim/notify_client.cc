#include "libs/shim/notify_client.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <chrono>
#include <string>
#include <utility>

namespace wecom_notify::shim {
namespace {

// A webhook body may be up to 16 MiB; its protobuf is never larger.
constexpr int kMaxMessageBytes = 64 << 20;

// Everything one asynchronous call needs alive until its completion callback has run.
template <class Request, class Response, class Done>
struct Call {
  grpc::ClientContext context;
  Request request;
  Response response;
  Done done;
};

template <class Request, class Response, class Done>
std::unique_ptr<Call<Request, Response, Done>> NewCall(Request request, Done done,
                                                       absl::Duration timeout) {
  auto call = std::make_unique<Call<Request, Response, Done>>();
  call->request = std::move(request);
  call->done = std::move(done);
  call->context.set_deadline(std::chrono::system_clock::now() +
                             absl::ToChronoMilliseconds(timeout));
  return call;
}

}  // namespace

NotifyClient::NotifyClient(const std::string& target, absl::Duration timeout,
                           std::string admin_token)
    : timeout_(timeout), admin_token_(std::move(admin_token)) {
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  // Reconnect quickly after notifyd restarts, so the shim is ready again within a second.
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  channel_ = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  notify_ = wecom_notify::v1::Notify::NewStub(channel_);
  notify_stream_ = std::make_unique<NotifyStreamClient>(channel_, timeout);
  health_ = grpc::health::v1::Health::NewStub(channel_);
  admin_ = wecom_notify::v1::Admin::NewStub(channel_);
}

void NotifyClient::Notify(notify_wire::EncodedNotifyRequest request, NotifyDone done) {
  notify_stream_->Notify(std::move(request), std::move(done));
}

void NotifyClient::ListAlerts(wecom_notify::v1::ListAlertsRequest request, ListDone done) {
  auto call = NewCall<wecom_notify::v1::ListAlertsRequest, wecom_notify::v1::ListAlertsResponse>(
      std::move(request), std::move(done), timeout_);
  auto* raw = call.release();
  notify_->async()->ListAlerts(&raw->context, &raw->request, &raw->response,
                               [raw](grpc::Status status) {
                                 std::unique_ptr<std::remove_pointer_t<decltype(raw)>> owned(raw);
                                 owned->done(status, owned->response);
                               });
}

void NotifyClient::ReloadConfig(ReloadDone done) {
  auto call =
      NewCall<wecom_notify::v1::ReloadConfigRequest, wecom_notify::v1::ReloadConfigResponse>(
          wecom_notify::v1::ReloadConfigRequest(), std::move(done), timeout_);
  if (!admin_token_.empty()) call->context.AddMetadata("authorization", "Bearer " + admin_token_);
  auto* raw = call.release();
  admin_->async()->ReloadConfig(&raw->context, &raw->request, &raw->response,
                                [raw](grpc::Status status) {
                                  std::unique_ptr<std::remove_pointer_t<decltype(raw)>> owned(raw);
                                  owned->done(status);
                                });
}

void NotifyClient::CheckServing(absl::AnyInvocable<void(bool)> done) {
  auto call = NewCall<grpc::health::v1::HealthCheckRequest, grpc::health::v1::HealthCheckResponse>(
      grpc::health::v1::HealthCheckRequest(), std::move(done),
      std::min(timeout_, absl::Seconds(2)));
  auto* raw = call.release();
  health_->async()->Check(&raw->context, &raw->request, &raw->response, [raw](grpc::Status status) {
    std::unique_ptr<std::remove_pointer_t<decltype(raw)>> owned(raw);
    owned->done(status.ok() &&
                owned->response.status() == grpc::health::v1::HealthCheckResponse::SERVING);
  });
}

}  // namespace wecom_notify::shim
