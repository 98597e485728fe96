// File: libs/notify_server/notify_stream.h
//
// The server side of Notify.NotifyStream: one reactor per stream reads requests, stores each
// through NotifyService::HandleNotify and writes its answer once stored. Reading does not wait
// for answers — a request is decoded, the next read started, then the request stored — so one
// stream keeps several of gRPC's threads busy, as concurrent Notify calls would; at most
// kMaxUnanswered requests are read ahead of their answers (flow control).
//
// NotifyStreams tracks the open streams so that shutdown can end them: a stream stays open as
// long as its client keeps it, and the gRPC server's shutdown would wait out its whole grace
// period for it.
//
// Thread-safety: all methods may be called concurrently.

#ifndef WECOM_NOTIFY_LIBS_NOTIFY_SERVER_NOTIFY_STREAM_H_
#define WECOM_NOTIFY_LIBS_NOTIFY_SERVER_NOTIFY_STREAM_H_

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/server_callback.h>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"

namespace wecom_notify::notify_server {

class NotifyService;
class NotifyStreamReactor;

class NotifyStreams {
 public:
  // Requests read ahead of their answers on one stream.
  static constexpr int kMaxUnanswered = 64;

  explicit NotifyStreams(NotifyService& service) : service_(service) {}
  // All streams must have ended (OnDone) first: the gRPC server's shutdown waits for that.
  ~NotifyStreams() = default;

  // The reactor of a new stream (gRPC deletes nothing; the reactor ends itself in OnDone).
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* Open(
      grpc::CallbackServerContext* context);

  // Stops reading on every open stream and ends each once the requests it read are answered;
  // a stream opened later ends at once (UNAVAILABLE). Returns without waiting for them.
  void EndAll();

 private:
  friend class NotifyStreamReactor;
  // From a reactor's OnDone: forgets it, and deletes it unless EndAll is using it.
  void Closed(NotifyStreamReactor* reactor);

  NotifyService& service_;
  absl::Mutex mu_;
  absl::flat_hash_set<NotifyStreamReactor*> open_ ABSL_GUARDED_BY(mu_);
  bool ending_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace wecom_notify::notify_server

#endif  // WECOM_NOTIFY_LIBS_NOTIFY_SERVER_NOTIFY_STREAM_H_
