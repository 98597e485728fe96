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
// The stream's operations complete on `completions` (completion_queue_thread.h), which must
// outlive the client; every `done` runs there, never inline in Notify.
//
// Thread-safety: Notify may be called concurrently.

#ifndef WECOM_NOTIFY_LIBS_SHIM_NOTIFY_STREAM_CLIENT_H_
#define WECOM_NOTIFY_LIBS_SHIM_NOTIFY_STREAM_CLIENT_H_

#include <grpcpp/alarm.h>
#include <grpcpp/channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/common/completion_queue_thread.h"
#include "libs/notify_wire/notify_wire.h"
#include "libs/shim/notify_backend.h"
#include "wecom_notify/v1/notify.grpc.pb.h"

namespace wecom_notify::shim {

class NotifyStreamClient {
 public:
  NotifyStreamClient(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout,
                     CompletionQueueThread& completions);
  // Cancels the open stream (its unanswered requests fail) and waits until its operations and
  // the timeout alarm have completed.
  ~NotifyStreamClient();

  NotifyStreamClient(const NotifyStreamClient&) = delete;
  NotifyStreamClient& operator=(const NotifyStreamClient&) = delete;

  void Notify(notify_wire::EncodedNotifyRequest request, NotifyBackend::NotifyDone done);

 private:
  class Stream;
  friend class Stream;

  // The timeout alarm: armed for the oldest unanswered request's deadline while there is one.
  class Expiry final : public CompletionQueueThread::Tag {
   public:
    explicit Expiry(NotifyStreamClient& client) : client_(client) {}
    void OnComplete(bool ok) override { client_.AlarmRang(ok); }

   private:
    NotifyStreamClient& client_;
  };

  // Arms the alarm unless it is armed or nothing waits for an answer.
  void ArmAlarmLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // On the completion thread: cancels the stream when its oldest request is past its deadline.
  void AlarmRang(bool fired);
  // From a stream, once its last operation completed: it is gone.
  void Ended();

  const std::string method_;
  const absl::Duration timeout_;
  CompletionQueueThread& completions_;
  grpc::TemplatedGenericStub<grpc::ByteBuffer, wecom_notify::v1::NotifyStreamResponse> stub_;

  absl::Mutex mu_;
  Stream* stream_ ABSL_GUARDED_BY(mu_) = nullptr;  // takes new requests; null until the next one
  int streams_alive_ ABSL_GUARDED_BY(mu_) = 0;     // not yet deleted
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Alarm alarm_;
  Expiry expiry_{*this};
  bool alarm_armed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace wecom_notify::shim

#endif  // WECOM_NOTIFY_LIBS_SHIM_NOTIFY_STREAM_CLIENT_H_
