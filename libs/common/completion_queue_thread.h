// File: libs/common/completion_queue_thread.h
//
// CompletionQueueThread runs one gRPC completion queue on one thread of its own. The shim's
// client of notifyd completes every operation there (the NotifyStream's reads and writes, the
// unary calls, the stream's timeout alarm); so does notifyd's server side of Notify and of the
// health service (a ServerCompletionQueue).
//
// Why not gRPC's callback API: under it, gRPC runs callbacks on two threads of its own that take
// turns polling — the one whose poll returns wakes the other to poll next, then hands the
// completion over — so a message costs a thread switch more than it must
// (docs/performance.md). A single thread that polls and handles what it finds answers in one.
// For that it must be the only thread polling: nothing else in the process may use gRPC's
// callback API (gRPC's synchronous server, whose threads wait on queues of their own, does not
// take these turns).
//
// An operation is started with a `Tag*` as its tag; when it completes, the thread calls
// `tag->OnComplete(ok)` once, with gRPC's `ok`. OnComplete must not block for long: every
// other completion waits for it.
//
// Thread-safety: operations may be started on cq() from any thread, until the destructor.

#ifndef WECOM_NOTIFY_LIBS_COMMON_COMPLETION_QUEUE_THREAD_H_
#define WECOM_NOTIFY_LIBS_COMMON_COMPLETION_QUEUE_THREAD_H_

#include <grpcpp/completion_queue.h>

#include <memory>
#include <thread>

namespace wecom_notify {

class CompletionQueueThread {
 public:
  class Tag {
   public:
    virtual void OnComplete(bool ok) = 0;

   protected:
    ~Tag() = default;
  };

  // A Tag that calls `(owner->*handler)(ok)`: one per kind of operation an object starts.
  template <typename Owner>
  class MethodTag final : public Tag {
   public:
    using Handler = void (Owner::*)(bool ok);
    MethodTag(Owner* owner, Handler handler) : owner_(owner), handler_(handler) {}
    void OnComplete(bool ok) override { (owner_->*handler_)(ok); }

   private:
    Owner* owner_;
    Handler handler_;
  };

  // Runs `cq` (a plain queue unless given, e.g. a server's from ServerBuilder::
  // AddCompletionQueue) on a thread named `thread_name` (at most 15 characters; shown by `top
  // -H` and profiles).
  explicit CompletionQueueThread(
      const char* thread_name,
      std::unique_ptr<grpc::CompletionQueue> cq = std::make_unique<grpc::CompletionQueue>());
  // Shuts the queue down and waits until the thread has handled every completion left; the
  // operations still outstanding must end by themselves (a deadline) or have been cancelled —
  // for a server's queue, after grpc::Server::Shutdown.
  ~CompletionQueueThread();

  CompletionQueueThread(const CompletionQueueThread&) = delete;
  CompletionQueueThread& operator=(const CompletionQueueThread&) = delete;

  grpc::CompletionQueue* cq() { return cq_.get(); }

 private:
  std::unique_ptr<grpc::CompletionQueue> cq_;
  std::thread thread_;
};

}  // namespace wecom_notify

#endif  // WECOM_NOTIFY_LIBS_COMMON_COMPLETION_QUEUE_THREAD_H_
