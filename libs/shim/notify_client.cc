#include "libs/shim/notify_client.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/async_unary_call.h>
#include <grpcpp/support/channel_arguments.h>

#include <boost/asio/post.hpp>
#include <chrono>
#include <string>
#include <utility>

#include "libs/common/thread_priority.h"

namespace wecom_notify::shim {
namespace {

// A webhook body may be up to 16 MiB; its protobuf is never larger.
constexpr int kMaxMessageBytes = 64 << 20;

constexpr char kListAlertsMethod[] = "/wecom_notify.v1.Notify/ListAlerts";

// One unary call, completed on the completion thread; it owns itself until `done` has run.
template <class Response>
class UnaryCall final : public CompletionQueueThread::Tag {
 public:
  using Done = absl::AnyInvocable<void(const grpc::Status&, const Response&)>;

  UnaryCall(Done done, absl::Duration timeout) : done_(std::move(done)) {
    context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
  }

  // `reader` comes from a stub's PrepareAsync method, given `context`.
  void Start(std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> reader) {
    reader_ = std::move(reader);
    reader_->StartCall();
    reader_->Finish(&response_, &status_, this);
  }

  void OnComplete(bool) override {
    std::unique_ptr<UnaryCall> owned(this);
    done_(status_, response_);
  }

  grpc::ClientContext context;

 private:
  Done done_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> reader_;
  Response response_;
  grpc::Status status_;
};

}  // namespace

NotifyClient::NotifyClient(const std::string& target, absl::Duration timeout,
                           std::string admin_token)
    : timeout_(timeout), admin_token_(std::move(admin_token)) {
  // Rendering 100k alerts gives way to ingest.
  boost::asio::post(listings_, [] { BecomeBulkWorkThread("listing"); });
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  // Reconnect quickly after notifyd restarts, so the shim is ready again within a second.
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  channel_ = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  list_stub_ = std::make_unique<ListStub>(channel_);
  notify_stream_ = std::make_unique<NotifyStreamClient>(channel_, timeout, *completions_);
  health_ = grpc::health::v1::Health::NewStub(channel_);
  admin_ = wecom_notify::v1::Admin::NewStub(channel_);
}

NotifyClient::~NotifyClient() {
  // First the calls in flight (their answers are posted to listings_), then the listings.
  notify_stream_.reset();
  completions_.reset();
  listings_.join();
}

void NotifyClient::Notify(notify_wire::EncodedNotifyRequest request, NotifyDone done) {
  notify_stream_->Notify(std::move(request), std::move(done));
}

void NotifyClient::ListAlerts(wecom_notify::v1::ListAlertsRequest request, ListDone done) {
  // The answer arrives as bytes: parsing it, like `done`'s rendering, is listing work.
  auto* call = new UnaryCall<grpc::ByteBuffer>(
      [this, done = std::move(done)](const grpc::Status& status,
                                     const grpc::ByteBuffer& answer) mutable {
        boost::asio::post(listings_, [status, answer, done = std::move(done)]() mutable {
          wecom_notify::v1::ListAlertsResponse response;
          grpc::Status parsed = status;
          if (status.ok()) {
            grpc::ByteBuffer bytes = answer;  // Deserialize consumes its buffer
            parsed = grpc::SerializationTraits<wecom_notify::v1::ListAlertsResponse>::Deserialize(
                &bytes, &response);
          }
          done(parsed, response);
        });
      },
      timeout_);
  call->Start(
      list_stub_->PrepareUnaryCall(&call->context, kListAlertsMethod, request, completions_->cq()));
}

void NotifyClient::SetAdminToken(std::string admin_token) {
  absl::MutexLock lock(&admin_token_mu_);
  admin_token_ = std::move(admin_token);
}

void NotifyClient::ReloadConfig(ReloadDone done) {
  auto* call = new UnaryCall<wecom_notify::v1::ReloadConfigResponse>(
      [done = std::move(done)](const grpc::Status& status,
                               const wecom_notify::v1::ReloadConfigResponse&) mutable {
        done(status);
      },
      timeout_);
  {
    absl::MutexLock lock(&admin_token_mu_);
    if (!admin_token_.empty()) {
      call->context.AddMetadata("authorization", "Bearer " + admin_token_);
    }
  }
  call->Start(admin_->PrepareAsyncReloadConfig(
      &call->context, wecom_notify::v1::ReloadConfigRequest(), completions_->cq()));
}

void NotifyClient::CheckServing(absl::AnyInvocable<void(bool)> done) {
  using grpc::health::v1::HealthCheckResponse;
  auto* call = new UnaryCall<HealthCheckResponse>(
      [done = std::move(done)](const grpc::Status& status,
                               const HealthCheckResponse& response) mutable {
        done(status.ok() && response.status() == HealthCheckResponse::SERVING);
      },
      std::min(timeout_, absl::Seconds(2)));
  call->Start(health_->PrepareAsyncCheck(&call->context, grpc::health::v1::HealthCheckRequest(),
                                         completions_->cq()));
}

}  // namespace wecom_notify::shim
