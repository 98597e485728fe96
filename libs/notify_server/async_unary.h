// File: libs/notify_server/async_unary.h
//
// ServeUnary serves one unary method of gRPC's asynchronous server API on a server completion
// queue that a CompletionQueueThread runs (libs/common/completion_queue_thread.h): one call is
// always requested; when it arrives, the next one is requested and the handler runs on the
// queue's thread. The handler answers through `finish` — at once, or later from any thread
// (Notify answers from the durable store's committer). Requests stop being made when the server
// shuts down; each call frees itself once its answer went out.

#ifndef WECOM_NOTIFY_LIBS_NOTIFY_SERVER_ASYNC_UNARY_H_
#define WECOM_NOTIFY_LIBS_NOTIFY_SERVER_ASYNC_UNARY_H_

#include <grpcpp/completion_queue.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/async_unary_call.h>
#include <grpcpp/support/status.h>

#include <functional>
#include <memory>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "libs/common/completion_queue_thread.h"

namespace wecom_notify::notify_server {

template <typename Request, typename Response>
struct UnaryMethod {
  // The generated AsyncService's Request<Method>, with the server queue passed as both queues.
  using Requester =
      std::function<void(grpc::ServerContext*, Request*, grpc::ServerAsyncResponseWriter<Response>*,
                         grpc::ServerCompletionQueue*, void* tag)>;
  // Fills `response` and calls `finish` once; `request` and `response` live until then. A
  // response is sent only with an OK status.
  using Handler = std::function<void(const Request& request, Response* response,
                                     absl::AnyInvocable<void(grpc::Status)> finish)>;

  grpc::ServerCompletionQueue* cq;
  Requester request;
  Handler handle;
};

namespace internal {

template <typename Request, typename Response>
class UnaryCall final : public CompletionQueueThread::Tag {
 public:
  using Method = UnaryMethod<Request, Response>;

  explicit UnaryCall(std::shared_ptr<const Method> method)
      : method_(std::move(method)), responder_(&context_) {
    method_->request(&context_, &request_, &responder_, method_->cq, this);
  }

  // First the call's arrival (not ok: the server shuts down, no call came), then its answer.
  void OnComplete(bool ok) override {
    if (!ok || answering_) {
      delete this;
      return;
    }
    answering_ = true;
    new UnaryCall(method_);
    method_->handle(request_, &response_,
                    [this](grpc::Status status) { responder_.Finish(response_, status, this); });
  }

 private:
  std::shared_ptr<const Method> method_;
  grpc::ServerContext context_;
  Request request_;
  Response response_;
  grpc::ServerAsyncResponseWriter<Response> responder_;
  bool answering_ = false;
};

}  // namespace internal

// Starts serving `method`; call after the server has started.
template <typename Request, typename Response>
void ServeUnary(UnaryMethod<Request, Response> method) {
  new internal::UnaryCall<Request, Response>(
      std::make_shared<const UnaryMethod<Request, Response>>(std::move(method)));
}

}  // namespace wecom_notify::notify_server

#endif  // WECOM_NOTIFY_LIBS_NOTIFY_SERVER_ASYNC_UNARY_H_
