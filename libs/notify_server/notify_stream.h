// File: libs/notify_server/notify_stream.h
//
// The server side of Notify.NotifyStream, on gRPC's asynchronous API: each stream reads
// requests, stores each through NotifyService::HandleNotify and writes its answer once stored.
// Reading does not wait for answers — a request is decoded, the next read started, then the
// request stored — so a stream has a durable write in progress while the next requests arrive;
// at most kMaxUnanswered requests are read ahead of their answers (flow control).
//
// NotifyStreams keeps one stream requested on the server's completion queue and tracks the open
// ones so that shutdown can end them: a stream stays open as long as its client keeps it, and
// the gRPC server's shutdown would wait out its whole grace period for it.
//
// Thread-safety: all methods may be called concurrently. A stream's operations complete on the
// queue's thread; its answers are written from whichever thread stored the request.

#ifndef WECOM_NOTIFY_LIBS_NOTIFY_SERVER_NOTIFY_STREAM_H_
#define WECOM_NOTIFY_LIBS_NOTIFY_SERVER_NOTIFY_STREAM_H_

#include <grpcpp/completion_queue.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/async_stream.h>
#include <grpcpp/support/byte_buffer.h>

#include <functional>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"

namespace wecom_notify::notify_server {

class NotifyService;
class NotifyStreamCall;

class NotifyStreams {
 public:
  // Requests read ahead of their answers on one stream.
  static constexpr int kMaxUnanswered = 64;
  // The generated AsyncService's RequestNotifyStream, with the server queue passed as both.
  using Requester = std::function<void(
      grpc::ServerContext*, grpc::ServerAsyncReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>*,
      grpc::ServerCompletionQueue*, void* tag)>;

  explicit NotifyStreams(NotifyService& service) : service_(service) {}
  // Every stream must have ended first: after the server's shutdown, once its queue is drained.
  ~NotifyStreams() = default;

  // Starts taking streams on `cq` (after the server has started).
  void Serve(grpc::ServerCompletionQueue* cq, Requester request);

  // Stops reading on every open stream and ends each once the requests it read are answered;
  // a stream opened later ends at once (UNAVAILABLE). Returns without waiting for them.
  void EndAll();

 private:
  friend class NotifyStreamCall;
  // From a stream that arrived: requests the next one, tracks this one; true when ending.
  bool Opened(NotifyStreamCall* call);
  // From a stream whose last operation completed: forgets it, and deletes it unless EndAll is
  // using it.
  void Closed(NotifyStreamCall* call);

  NotifyService& service_;
  grpc::ServerCompletionQueue* cq_ = nullptr;  // set by Serve, before any stream
  Requester request_;
  absl::Mutex mu_;
  absl::flat_hash_set<NotifyStreamCall*> open_ ABSL_GUARDED_BY(mu_);
  bool ending_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace wecom_notify::notify_server

#endif  // WECOM_NOTIFY_LIBS_NOTIFY_SERVER_NOTIFY_STREAM_H_
