#include "libs/notify_server/notify_stream.h"

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "libs/common/completion_queue_thread.h"
#include "libs/common/grpc_bytes.h"
#include "libs/common/grpc_status.h"
#include "libs/notify_server/notify_service.h"
#include "libs/notify_wire/notify_decoder.h"
#include "wecom_notify/v1/notify.pb.h"

namespace wecom_notify::notify_server {

// One stream. Its operations complete on the queue's thread while answers are written from the
// threads that stored their requests, so its state is under mu_; operations are started
// outside it, each counted in outstanding_ when decided. The stream is done once its Finish
// and every other operation completed.
class NotifyStreamCall {
 public:
  NotifyStreamCall(NotifyService& service, NotifyStreams& streams)
      : service_(service), streams_(streams), stream_(&context_) {
    streams_.request_(&context_, &stream_, streams_.cq_, &arrived_);
  }

  // Reads no more; ends the stream once every request read is answered.
  void End() {
    Step step;
    {
      absl::MutexLock lock(&mu_);
      draining_ = true;
      if (end_status_.ok()) {
        end_status_ = grpc::Status(grpc::StatusCode::UNAVAILABLE, "notifyd is shutting down");
      }
      step = SettleLocked();
    }
    Take(step);
  }

  // Guarded by NotifyStreams::mu_: how many EndAll calls use this stream, and whether its last
  // operation completed (it is then deleted by the last of them).
  int pins = 0;
  bool closed = false;

 private:
  using Op = CompletionQueueThread::MethodTag<NotifyStreamCall>;

  // What to do, decided under mu_, done after it is released.
  struct Step {
    bool finish = false;
    grpc::Status status;
    bool closed = false;  // every operation completed: the stream is done
  };

  // The stream finishes when nothing read is unanswered and no read is wanted. A read may still
  // be outstanding (the client neither sends nor closes): Finish ends the call early with a
  // non-OK status (draining), and the read then fails.
  Step SettleLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Step step;
    if (!finishing_ && unanswered_ == 0 && !writing_ && (reads_over_ || draining_)) {
      finishing_ = true;
      ++outstanding_;
      step.finish = true;
      step.status = end_status_;
    }
    if (finishing_ && outstanding_ == 0 && !done_) done_ = step.closed = true;
    return step;
  }

  // Last: the stream may be deleted by it.
  void Take(const Step& step) {
    if (step.finish) stream_.Finish(step.status, &finished_);
    if (step.closed) streams_.Closed(this);
  }

  void StartRead() { stream_.Read(&in_, &read_); }

  void Arrived(bool ok) {
    if (!ok) {  // the server shuts down: no stream came
      delete this;
      return;
    }
    if (streams_.Opened(this)) return End();
    {
      absl::MutexLock lock(&mu_);
      reading_ = true;
      ++outstanding_;
    }
    StartRead();
  }

  void ReadDone(bool ok) {
    absl::StatusOr<notify_wire::DecodedNotifyStreamRequest> frame =
        absl::UnavailableError("read failed");
    if (ok) {
      absl::Status loaded = in_bytes_.Load(in_);
      frame = loaded.ok() ? notify_wire::DecodeNotifyStreamRequest(in_bytes_.view()) : loaded;
    }
    Step step;
    bool read_next = false;
    bool take = false;
    {
      absl::MutexLock lock(&mu_);
      --outstanding_;
      reading_ = false;
      if (!frame.ok()) {
        reads_over_ = true;
        // Without an id there is nothing to answer: the stream ends with the error.
        if (ok && !draining_) end_status_ = ToGrpcStatus(frame.status());
      } else if (!finishing_) {
        // The request is decoded (it owns its bytes): in_ may take the next one. (Once
        // finishing, a request that still arrived is dropped unanswered — the client retries
        // what the ended stream left unanswered.)
        take = true;
        ++unanswered_;
        read_next = !draining_ && unanswered_ < NotifyStreams::kMaxUnanswered;
        if (read_next) {
          reading_ = true;
          ++outstanding_;
        }
      }
      step = SettleLocked();
    }
    if (read_next) StartRead();
    if (!take) return Take(step);

    const uint64_t id = frame->id;
    if (!frame->request.ok()) return Answer(id, frame->request.status(), nullptr);
    auto response = std::make_unique<wecom_notify::v1::NotifyResponse>();
    auto* response_ptr = response.get();
    service_.HandleNotify(
        *std::move(frame->request), response_ptr,
        [this, id, response = std::move(response)](absl::Status status) {
          Answer(id, status, response.get());
        },
        storage::GroupCommitter::Mode::kWriteInlineWhenIdle);
  }

  // Called once per request read; the stream does not finish before.
  void Answer(uint64_t id, const absl::Status& status, wecom_notify::v1::NotifyResponse* response) {
    wecom_notify::v1::NotifyStreamResponse answer;
    answer.set_id(id);
    answer.set_code(static_cast<int32_t>(status.code()));
    answer.set_message(std::string(status.message()));
    if (status.ok() && response != nullptr) answer.mutable_response()->Swap(response);
    grpc::Slice slice = SliceOwning(answer.SerializeAsString());
    const grpc::ByteBuffer* write = nullptr;
    {
      absl::MutexLock lock(&mu_);
      out_.emplace_back(&slice, 1);
      if (!writing_) {
        writing_ = true;
        ++outstanding_;
        write = &out_.front();
      }
    }
    if (write != nullptr) stream_.Write(*write, &wrote_);
  }

  void WriteDone(bool /*ok: when false, the client is gone; the writes left fail fast*/) {
    const grpc::ByteBuffer* next = nullptr;
    bool read_next = false;
    Step step;
    {
      absl::MutexLock lock(&mu_);
      --outstanding_;
      out_.pop_front();
      --unanswered_;
      if (out_.empty()) {
        writing_ = false;
      } else {
        next = &out_.front();  // deque elements stay put while others are added behind
        ++outstanding_;
      }
      if (!reading_ && !reads_over_ && !draining_ && !finishing_ &&
          unanswered_ < NotifyStreams::kMaxUnanswered) {
        reading_ = read_next = true;
        ++outstanding_;
      }
      step = SettleLocked();
    }
    if (next != nullptr) stream_.Write(*next, &wrote_);
    if (read_next) StartRead();
    Take(step);
  }

  void FinishDone(bool /*ok*/) {
    Step step;
    {
      absl::MutexLock lock(&mu_);
      --outstanding_;
      step = SettleLocked();
    }
    Take(step);
  }

  NotifyService& service_;
  NotifyStreams& streams_;
  grpc::ServerContext context_;
  grpc::ServerAsyncReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer> stream_;
  Op arrived_{this, &NotifyStreamCall::Arrived};
  Op read_{this, &NotifyStreamCall::ReadDone};
  Op wrote_{this, &NotifyStreamCall::WriteDone};
  Op finished_{this, &NotifyStreamCall::FinishDone};
  // The read side's: one read is outstanding at a time, and each is done with before the next.
  grpc::ByteBuffer in_;
  FlatBytes in_bytes_;

  absl::Mutex mu_;
  std::deque<grpc::ByteBuffer> out_ ABSL_GUARDED_BY(mu_);  // answers; the front is being written
  int outstanding_ ABSL_GUARDED_BY(mu_) = 0;  // operations started (or decided) not completed
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;     // a read is outstanding
  bool reads_over_ ABSL_GUARDED_BY(mu_) = false;  // no read will be started again
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;   // reported to NotifyStreams::Closed
  int unanswered_ ABSL_GUARDED_BY(mu_) = 0;  // requests read whose answer is not yet written
  grpc::Status end_status_ ABSL_GUARDED_BY(mu_);
};

void NotifyStreams::Serve(grpc::ServerCompletionQueue* cq, Requester request) {
  cq_ = cq;
  request_ = std::move(request);
  new NotifyStreamCall(service_, *this);
}

bool NotifyStreams::Opened(NotifyStreamCall* call) {
  new NotifyStreamCall(service_, *this);
  // Under mu_ so EndAll sees every stream opened before it.
  absl::MutexLock lock(&mu_);
  open_.insert(call);
  return ending_;
}

void NotifyStreams::EndAll() {
  std::vector<NotifyStreamCall*> pinned;
  {
    absl::MutexLock lock(&mu_);
    ending_ = true;
    for (NotifyStreamCall* call : open_) {
      ++call->pins;
      pinned.push_back(call);
    }
  }
  for (NotifyStreamCall* call : pinned) call->End();
  absl::MutexLock lock(&mu_);
  for (NotifyStreamCall* call : pinned) {
    if (--call->pins == 0 && call->closed) delete call;
  }
}

void NotifyStreams::Closed(NotifyStreamCall* call) {
  absl::MutexLock lock(&mu_);
  open_.erase(call);
  if (call->pins == 0) {
    delete call;
  } else {
    call->closed = true;
  }
}

}  // namespace wecom_notify::notify_server
