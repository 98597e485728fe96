#include "libs/notify_server/notify_service.h"

#include <grpcpp/impl/codegen/proto_utils.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/alert/alert_proto.h"
#include "libs/alert/validate.h"
#include "libs/common/grpc_bytes.h"
#include "libs/common/grpc_status.h"
#include "libs/common/thread_priority.h"
#include "libs/notify_server/async_unary.h"

namespace wecom_notify::notify_server {
namespace {

using wecom_notify::v1::AlertSource;

IngestSource SourceFromProto(AlertSource source) {
  switch (source) {
    case wecom_notify::v1::ALERT_SOURCE_API:
      return IngestSource::kApi;
    case wecom_notify::v1::ALERT_SOURCE_WEBHOOK:
      return IngestSource::kWebhook;
    default:
      return IngestSource::kGrpc;
  }
}

store::StateFilter StateFilterFromProto(wecom_notify::v1::AlertStatus status) {
  switch (status) {
    case wecom_notify::v1::ALERT_STATUS_FIRING:
      return store::StateFilter::kFiring;
    case wecom_notify::v1::ALERT_STATUS_RESOLVED:
      return store::StateFilter::kResolved;
    default:
      return store::StateFilter::kAll;
  }
}

// The largest request a caller's thread writes itself (GroupCommitter::Mode); the shim's
// batcher merges single alerts into calls of about this size.
constexpr std::size_t kMostAlertsWrittenInline = 32;

}  // namespace

NotifyService::NotifyService(store::AlertStore& store, Clock& clock, IngestMetrics& metrics,
                             NotifyServiceOptions options, storage::GroupCommitter* durable,
                             dispatch::DispatchLoop* dispatch)
    : store_(store),
      clock_(clock),
      metrics_(metrics),
      options_(options),
      durable_(durable),
      dispatch_(dispatch) {}

void NotifyService::HandleNotify(notify_wire::DecodedNotifyRequest request,
                                 wecom_notify::v1::NotifyResponse* response,
                                 absl::AnyInvocable<void(absl::Status)> done,
                                 storage::GroupCommitter::Mode durable_mode) {
  const absl::Time now = clock_.Now();
  const AlertSource source = request.source;
  const IngestSource ingest_source = SourceFromProto(source);
  const absl::Duration resolve_timeout = source == wecom_notify::v1::ALERT_SOURCE_WEBHOOK
                                             ? options_.webhook_resolve_timeout
                                             : options_.resolve_timeout;
  std::vector<alert::Alert> valid;
  valid.reserve(request.alerts.size());
  for (std::size_t i = 0; i < request.alerts.size(); ++i) {
    alert::Alert& a = request.alerts[i];
    alert::Normalize(a, now, resolve_timeout);
    metrics_.Received(ingest_source, a.ResolvedAt(now)).Increment();
    if (auto error = alert::ValidateAlert(a)) {
      metrics_.Invalid(ingest_source, error->code).Increment();
      auto* rejected = response->add_rejected();
      rejected->set_index(static_cast<int32_t>(i));
      rejected->set_field(std::move(error->field));
      rejected->set_reason(std::move(error->reason));
      continue;
    }
    valid.push_back(std::move(a));
  }
  response->set_accepted(static_cast<int32_t>(valid.size()));
  // The dispatcher's groups share the store's versions; without a route none are taken.
  std::vector<store::SharedAlert> for_dispatch;
  std::vector<alert::Alert> stored =
      store_.Put(std::move(valid), now, dispatch_ != nullptr ? &for_dispatch : nullptr);
  if (durable_ == nullptr || stored.empty()) {
    if (dispatch_ != nullptr) dispatch_->Insert(std::move(for_dispatch));
    return done(absl::OkStatus());
  }
  // Dispatch only what is durable: a notification must never go out for an alert a restart
  // would forget. The versions dispatched are those of the alerts written.
  // A large request is written by the committer's thread whatever the caller allows: its write
  // costs far more than the hand-off saved, and it would hold the caller's thread meanwhile
  // (100 alerts per request through the shim at 64 connections: −8 % alerts/s inline).
  if (stored.size() > kMostAlertsWrittenInline) {
    durable_mode = storage::GroupCommitter::Mode::kQueue;
  }
  durable_->Submit(
      std::move(stored),
      [this, for_dispatch = std::move(for_dispatch),
       done = std::move(done)](absl::Status status) mutable {
        if (status.ok() && dispatch_ != nullptr) dispatch_->Insert(std::move(for_dispatch));
        done(status.ok()
                 ? status
                 : absl::Status(status.code(), absl::StrCat("alerts not stored durably, retry: ",
                                                            status.message())));
      },
      durable_mode);
}

absl::Status NotifyService::HandleListAlerts(const wecom_notify::v1::ListAlertsRequest& request,
                                             wecom_notify::v1::ListAlertsResponse* response) {
  std::vector<alert::Matcher> matchers;
  matchers.reserve(request.matchers_size());
  for (const auto& proto : request.matchers()) {
    auto matcher = alert::MatcherFromProto(proto);
    if (!matcher.ok()) return matcher.status();
    matchers.push_back(*std::move(matcher));
  }
  const absl::Time now = clock_.Now();
  std::vector<alert::Alert> alerts =
      store_.List(matchers, StateFilterFromProto(request.status()), now);
  if (options_.annotations_source != nullptr) {
    if (absl::Status read = options_.annotations_source->ReadAnnotations(absl::MakeSpan(alerts));
        !read.ok()) {
      return read;
    }
  }
  for (const alert::Alert& a : alerts) alert::ToProto(a, now, response->add_alerts());
  return absl::OkStatus();
}

void NotifyService::NotifyBytes(const grpc::ByteBuffer& request, grpc::ByteBuffer* response,
                                absl::AnyInvocable<void(grpc::Status)> finish) {
  FlatBytes bytes;
  if (absl::Status loaded = bytes.Load(request); !loaded.ok()) return finish(ToGrpcStatus(loaded));
  auto decoded = notify_wire::DecodeNotifyRequest(bytes.view());
  if (!decoded.ok()) return finish(ToGrpcStatus(decoded.status()));
  auto answer = std::make_unique<wecom_notify::v1::NotifyResponse>();
  auto* answer_ptr = answer.get();
  HandleNotify(
      *std::move(decoded), answer_ptr,
      [response, answer = std::move(answer),
       finish = std::move(finish)](absl::Status status) mutable {
        bool own_buffer = false;
        if (status.ok()) {
          grpc::Status serialized =
              grpc::SerializationTraits<wecom_notify::v1::NotifyResponse>::Serialize(
                  *answer, response, &own_buffer);
          if (!serialized.ok()) return finish(serialized);
        }
        finish(ToGrpcStatus(status));
      },
      storage::GroupCommitter::Mode::kWriteInlineWhenIdle);
}

grpc::Status NotifyService::GrpcService::ListAlerts(
    grpc::ServerContext* /*context*/, const wecom_notify::v1::ListAlertsRequest* request,
    wecom_notify::v1::ListAlertsResponse* response) {
  // A listing of 100k alerts is seconds of CPU; on this thread it gives way to ingest. The
  // synchronous server's threads serve only what may wait (listings, admin, health,
  // reflection), so the lowered priority may stay with the thread.
  LowerCurrentThreadPriority();
  return ToGrpcStatus(service_.HandleListAlerts(*request, response));
}

void NotifyService::Serve(grpc::ServerCompletionQueue* cq) {
  ServeUnary(UnaryMethod<grpc::ByteBuffer, grpc::ByteBuffer>{
      cq,
      [this](grpc::ServerContext* context, grpc::ByteBuffer* request,
             grpc::ServerAsyncResponseWriter<grpc::ByteBuffer>* responder,
             grpc::ServerCompletionQueue* queue, void* tag) {
        grpc_service_.RequestNotify(context, request, responder, queue, queue, tag);
      },
      [this](const grpc::ByteBuffer& request, grpc::ByteBuffer* response,
             absl::AnyInvocable<void(grpc::Status)> finish) {
        NotifyBytes(request, response, std::move(finish));
      }});
  streams_.Serve(cq,
                 [this](grpc::ServerContext* context,
                        grpc::ServerAsyncReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>* stream,
                        grpc::ServerCompletionQueue* queue, void* tag) {
                   grpc_service_.RequestNotifyStream(context, stream, queue, queue, tag);
                 });
}

}  // namespace wecom_notify::notify_server
