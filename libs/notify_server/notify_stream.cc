#include "libs/notify_server/notify_stream.h"

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "libs/common/grpc_bytes.h"
#include "libs/common/grpc_status.h"
#include "libs/notify_server/notify_service.h"
#include "libs/notify_wire/notify_decoder.h"
#include "wecom_notify/v1/notify.pb.h"

namespace wecom_notify::notify_server {

// One stream. gRPC runs its reactions concurrently (a read's and a write's completion may
// overlap), so its state is under mu_; gRPC calls are made outside it, as they may run
// reactions inline.
class NotifyStreamReactor final
    : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  // `ending`: the server is shutting down; the stream ends at once.
  NotifyStreamReactor(NotifyService& service, NotifyStreams& streams,
                      grpc::CallbackServerContext* context, bool ending)
      : service_(service), streams_(streams), context_(context) {
    if (ending) {
      End();
      return;
    }
    {
      absl::MutexLock lock(&mu_);
      reading_ = true;
    }
    StartRead(&in_);
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

  // Guarded by NotifyStreams::mu_: how many EndAll calls use this reactor, and whether OnDone
  // has run (the reactor is then deleted by the last of them).
  int pins = 0;
  bool closed = false;

 private:
  // What to do, decided under mu_, done after it is released.
  struct Step {
    enum { kNone, kFinish, kCancel } action = kNone;
    grpc::Status status;
  };

  // The stream ends when nothing read is unanswered and no read is outstanding or wanted.
  Step SettleLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || unanswered_ > 0 || writing_) return {};
    if (reads_over_ || (draining_ && !reading_)) {
      finished_ = true;
      return {Step::kFinish, end_status_};
    }
    // A read is outstanding and will not complete until the client sends or closes: cancel it.
    if (draining_ && !cancelling_) {
      cancelling_ = true;
      return {Step::kCancel, {}};
    }
    return {};
  }

  void Take(const Step& step) {
    if (step.action == Step::kFinish) Finish(step.status);
    if (step.action == Step::kCancel) context_->TryCancel();
  }

  void OnReadDone(bool ok) override {
    absl::StatusOr<notify_wire::DecodedNotifyStreamRequest> frame =
        absl::UnavailableError("read failed");
    if (ok) {
      absl::Status loaded = in_bytes_.Load(in_);
      frame = loaded.ok() ? notify_wire::DecodeNotifyStreamRequest(in_bytes_.view()) : loaded;
    }
    if (!frame.ok()) {
      Step step;
      {
        absl::MutexLock lock(&mu_);
        reading_ = false;
        reads_over_ = true;
        // Without an id there is nothing to answer: the stream ends with the error.
        if (ok) end_status_ = ToGrpcStatus(frame.status());
        step = SettleLocked();
      }
      return Take(step);
    }
    // The request is decoded (it owns its bytes): in_ may take the next one.
    bool read_next;
    {
      absl::MutexLock lock(&mu_);
      ++unanswered_;
      read_next = !draining_ && unanswered_ < NotifyStreams::kMaxUnanswered;
      reading_ = read_next;
    }
    if (read_next) StartRead(&in_);

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
        write = &out_.front();
      }
    }
    if (write != nullptr) StartWrite(write);
  }

  void OnWriteDone(
      bool /*ok: when false, the client is gone; the writes left fail fast*/) override {
    const grpc::ByteBuffer* next = nullptr;
    bool read_next = false;
    Step step;
    {
      absl::MutexLock lock(&mu_);
      out_.pop_front();
      --unanswered_;
      if (out_.empty()) {
        writing_ = false;
      } else {
        next = &out_.front();  // deque elements stay put while others are added behind
      }
      if (!reading_ && !reads_over_ && !draining_ && unanswered_ < NotifyStreams::kMaxUnanswered) {
        reading_ = read_next = true;
      }
      step = SettleLocked();
    }
    if (next != nullptr) StartWrite(next);
    if (read_next) StartRead(&in_);
    Take(step);
  }

  void OnDone() override { streams_.Closed(this); }

  NotifyService& service_;
  NotifyStreams& streams_;
  grpc::CallbackServerContext* const context_;
  // The read side's: one read is outstanding at a time, and each is done with before the next.
  grpc::ByteBuffer in_;
  FlatBytes in_bytes_;

  absl::Mutex mu_;
  std::deque<grpc::ByteBuffer> out_ ABSL_GUARDED_BY(mu_);  // answers; the front is being written
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;     // a read is outstanding
  bool reads_over_ ABSL_GUARDED_BY(mu_) = false;  // no read will be started again
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelling_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  int unanswered_ ABSL_GUARDED_BY(mu_) = 0;  // requests read whose answer is not yet written
  grpc::Status end_status_ ABSL_GUARDED_BY(mu_);
};

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* NotifyStreams::Open(
    grpc::CallbackServerContext* context) {
  // Under mu_ so EndAll sees every stream opened before it; the reactor's first operations
  // are only queued until gRPC binds it, so nothing calls back while mu_ is held.
  absl::MutexLock lock(&mu_);
  auto* reactor = new NotifyStreamReactor(service_, *this, context, ending_);
  open_.insert(reactor);
  return reactor;
}

void NotifyStreams::EndAll() {
  std::vector<NotifyStreamReactor*> pinned;
  {
    absl::MutexLock lock(&mu_);
    ending_ = true;
    for (NotifyStreamReactor* reactor : open_) {
      ++reactor->pins;
      pinned.push_back(reactor);
    }
  }
  for (NotifyStreamReactor* reactor : pinned) reactor->End();
  absl::MutexLock lock(&mu_);
  for (NotifyStreamReactor* reactor : pinned) {
    if (--reactor->pins == 0 && reactor->closed) delete reactor;
  }
}

void NotifyStreams::Closed(NotifyStreamReactor* reactor) {
  absl::MutexLock lock(&mu_);
  open_.erase(reactor);
  if (reactor->pins == 0) {
    delete reactor;
  } else {
    reactor->closed = true;
  }
}

}  // namespace wecom_notify::notify_server
