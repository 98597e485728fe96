// File: libs/shim/completion_queue_thread.h
//
// CompletionQueueThread runs one gRPC completion queue on one thread of its own: every
// asynchronous operation of the shim's client of notifyd (the NotifyStream's reads and writes,
// the unary calls, the stream's timeout alarm) completes there.
//
// Why not gRPC's callback API: under it, gRPC runs callbacks on two threads of its own that take
// turns polling — the one whose poll returns wakes the other to poll next, then hands the
// completion over — so an answer from notifyd costs a thread switch more than it must
// (docs/performance.md). A single thread that polls and handles what it finds answers in one.
// For that it must be the only thread polling: nothing else in the process may use gRPC's
// callback API.
//
// An operation is started with a `Tag*` as its tag; when it completes, the thread calls
// `tag->OnComplete(ok)` once, with gRPC's `ok`. OnComplete must not block for long: every
// other completion waits for it.
//
// Thread-safety: operations may be started on cq() from any thread.

#ifndef WECOM_NOTIFY_LIBS_SHIM_COMPLETION_QUEUE_THREAD_H_
#define WECOM_NOTIFY_LIBS_SHIM_COMPLETION_QUEUE_THREAD_H_

#include <grpcpp/completion_queue.h>

#include <thread>

namespace wecom_notify::shim {

class CompletionQueueThread {
 public:
  class Tag {
   public:
    virtual void OnComplete(bool ok) = 0;

   protected:
    ~Tag() = default;
  };

  CompletionQueueThread();
  // Shuts the queue down and waits until the thread has handled every completion left; the
  // operations still outstanding must end by themselves (a deadline) or have been cancelled.
  ~CompletionQueueThread();

  CompletionQueueThread(const CompletionQueueThread&) = delete;
  CompletionQueueThread& operator=(const CompletionQueueThread&) = delete;

  grpc::CompletionQueue* cq() { return &cq_; }

 private:
  grpc::CompletionQueue cq_;
  std::thread thread_;
};

}  // namespace wecom_notify::shim

#endif  // WECOM_NOTIFY_LIBS_SHIM_COMPLETION_QUEUE_THREAD_H_
