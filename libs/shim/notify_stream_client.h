// File: libs/shim/notify_stream_client.h
//
// The shim's sender of Notify requests: one long-lived Notify.NotifyStream to notifyd carries
// them all, each answered under its id. A unary Notify call costs notifyd and the shim more CPU
// in gRPC's per-call machinery (headers, a new HTTP/2 stream, a deadline timer, a call object)
// than parsing and storing a few alerts; a message on an open stream costs a fraction of that
// (docs/performance.md).
//
// The stream opens on the first request and again on the first request after it ended. When it
// ends (notifyd stopped, restarted or unreachable) every request sent on it and not answered
// fails UNAVAILABLE: none was acknowledged, so the caller may send it again. A request not
// answered within `timeout` fails DEADLINE_EXCEEDED, and the stream it was on — notifyd is
// stuck — is cancelled with the rest of its requests, so that the next request opens a new one.
//
// Thread-safety: Notify may be called concurrently; `done` runs on a gRPC thread or on the
// client's timer thread, never inline in Notify.

#ifndef WECOM_NOTIFY_LIBS_SHIM_NOTIFY_STREAM_CLIENT_H_
#define WECOM_NOTIFY_LIBS_SHIM_NOTIFY_STREAM_CLIENT_H_

#include <grpcpp/channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/notify_wire/notify_wire.h"
#include "libs/shim/notify_backend.h"
#include "wecom_notify/v1/notify.grpc.pb.h"

namespace wecom_notify::shim {

class NotifyStreamClient {
 public:
  NotifyStreamClient(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout);
  // Cancels the open stream (its unanswered requests fail) and waits until gRPC is done with it.
  ~NotifyStreamClient();

  NotifyStreamClient(const NotifyStreamClient&) = delete;
  NotifyStreamClient& operator=(const NotifyStreamClient&) = delete;

  void Notify(notify_wire::EncodedNotifyRequest request, NotifyBackend::NotifyDone done);

 private:
  class Stream;
  friend class Stream;

  // Cancels the stream of a request older than the timeout; runs on timer_ until the end.
  void ExpireStuckStreams();
  // From a stream's OnDone, after its requests were answered: it is gone.
  void Ended();

  const std::string method_;
  const absl::Duration timeout_;
  grpc::TemplatedGenericStub<grpc::ByteBuffer, wecom_notify::v1::NotifyStreamResponse> stub_;

  absl::Mutex mu_;
  Stream* stream_ ABSL_GUARDED_BY(mu_) = nullptr;  // takes new requests; null until the next one
  int streams_alive_ ABSL_GUARDED_BY(mu_) = 0;     // not yet past OnDone
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread timer_;
};

}  // namespace wecom_notify::shim

#endif  // WECOM_NOTIFY_LIBS_SHIM_NOTIFY_STREAM_CLIENT_H_
