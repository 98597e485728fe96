#include "libs/shim/notify_stream_client.h"

#include <deque>
#include <utility>

#include "absl/container/btree_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/common/grpc_bytes.h"

namespace wecom_notify::shim {

// One stream. Its state is under the client's mu_. Asynchronous operations never complete
// inline, so they are started under mu_ too, except the writes of the HTTP threads (the only
// operation that does I/O at once): a stream is deleted only once none of its operations is
// outstanding, and Finish — after which nothing may be started — waits until no write is.
class NotifyStreamClient::Stream {
 public:
  explicit Stream(NotifyStreamClient& client) : client_(client) {}

  struct Unanswered {
    NotifyBackend::NotifyDone done;
    absl::Time deadline;
  };

  grpc::ClientContext context;
  std::unique_ptr<
      grpc::ClientAsyncReaderWriter<grpc::ByteBuffer, wecom_notify::v1::NotifyStreamResponse>>
      call;
  // Ids ascend in sending order and the timeout is one, so the first is the oldest.
  absl::btree_map<uint64_t, Unanswered> unanswered;
  std::deque<grpc::ByteBuffer> to_write;  // the front is being written
  bool writing = false;
  bool broken = false;
  bool timed_out = false;

  // Under mu_: opens the call and starts reading. The call's headers wait for its first
  // message (corked): StartCall would take the operation slot the first write needs.
  void StartLocked() {
    context.set_initial_metadata_corked(true);
    call = client_.stub_.PrepareCall(&context, client_.method_, client_.completions_.cq());
    call->StartCall(nullptr);  // corked: no operation, no completion
    outstanding_ = 1;
    call->Read(&response_, &read_);
  }

  // Under mu_: takes this stream out of service (new requests open another).
  void BreakLocked() {
    broken = true;
    if (client_.stream_ == this) client_.stream_ = nullptr;
  }

  // Under mu_: whether the caller is to write the front of to_write (outside mu_, by Write).
  bool StartWritingLocked() {
    if (writing) return false;
    writing = true;
    ++outstanding_;
    return true;
  }
  void Write(const grpc::ByteBuffer* message) { call->Write(*message, &wrote_); }

 private:
  void ReadDone(bool ok) {
    if (!ok) {
      {
        absl::MutexLock lock(&client_.mu_);
        read_failed_ = true;
        BreakLocked();
        FinishIfIdleLocked();
      }
      return Completed();
    }
    NotifyBackend::NotifyDone done;
    {
      absl::MutexLock lock(&client_.mu_);
      auto it = unanswered.find(response_.id());
      if (it != unanswered.end()) {  // else an id notifyd made up: nobody waits for it
        done = std::move(it->second.done);
        unanswered.erase(it);
      }
    }
    if (done) {
      done(grpc::Status(static_cast<grpc::StatusCode>(response_.code()), response_.message()),
           response_.response());
    }
    call->Read(&response_, &read_);
  }

  void WriteDone(bool ok) {
    const grpc::ByteBuffer* next = nullptr;
    {
      absl::MutexLock lock(&client_.mu_);
      to_write.pop_front();
      if (!ok) BreakLocked();  // the stream is ending; its read fails too
      if (!broken && !to_write.empty()) {
        next = &to_write.front();  // deque elements stay put while others are added behind
      } else {
        to_write.clear();  // unsent requests fail at the end, with the rest
        writing = false;
        FinishIfIdleLocked();
      }
    }
    if (next == nullptr) return Completed();
    Write(next);
  }

  // Once the read has failed and no write is outstanding: ask for the call's status.
  void FinishIfIdleLocked() {
    if (!broken || writing || finishing_ || !read_failed_) return;
    finishing_ = true;
    ++outstanding_;
    call->Finish(&status_, &finished_);
  }

  void FinishDone(bool) {
    absl::btree_map<uint64_t, Unanswered> failed;
    {
      absl::MutexLock lock(&client_.mu_);
      failed.swap(unanswered);
    }
    const absl::Time now = absl::Now();
    const grpc::Status ended(
        grpc::StatusCode::UNAVAILABLE,
        absl::StrCat("the stream to notifyd ended before the answer (", status_.error_code(), " ",
                     status_.error_message(), "); nothing of the request was acknowledged"));
    const grpc::Status expired(
        grpc::StatusCode::DEADLINE_EXCEEDED,
        absl::StrCat("notifyd did not answer within ", absl::FormatDuration(client_.timeout_)));
    for (auto& [id, request] : failed) {
      request.done(timed_out && request.deadline <= now ? expired : ended,
                   wecom_notify::v1::NotifyResponse::default_instance());
    }
    Completed();
  }

  // The end of one outstanding operation; the last deletes the stream.
  void Completed() {
    {
      absl::MutexLock lock(&client_.mu_);
      if (--outstanding_ > 0) return;
    }
    NotifyStreamClient& client = client_;
    delete this;
    client.Ended();
  }

  NotifyStreamClient& client_;
  wecom_notify::v1::NotifyStreamResponse response_;  // the read's
  grpc::Status status_;                              // Finish's
  int outstanding_ = 0;                              // under mu_
  bool read_failed_ = false;
  bool finishing_ = false;
  using Op = CompletionQueueThread::MethodTag<Stream>;
  Op read_{this, &Stream::ReadDone};
  Op wrote_{this, &Stream::WriteDone};
  Op finished_{this, &Stream::FinishDone};
};

NotifyStreamClient::NotifyStreamClient(std::shared_ptr<grpc::Channel> channel,
                                       absl::Duration timeout, CompletionQueueThread& completions)
    : method_(absl::StrCat("/", wecom_notify::v1::Notify::service_full_name(), "/NotifyStream")),
      timeout_(timeout),
      completions_(completions),
      stub_(std::move(channel)) {}

NotifyStreamClient::~NotifyStreamClient() {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
  if (alarm_armed_) alarm_.Cancel();
  if (stream_ != nullptr) {
    Stream* stream = stream_;
    stream->BreakLocked();
    stream->context.TryCancel();  // completes on the completion thread, never inline
  }
  auto all_done = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return streams_alive_ == 0 && !alarm_armed_;
  };
  mu_.Await(absl::Condition(&all_done));
}

void NotifyStreamClient::Notify(notify_wire::EncodedNotifyRequest request,
                                NotifyBackend::NotifyDone done) {
  grpc::Slice body = SliceOwning(std::move(request).Release());
  const std::size_t body_size = body.size();
  Stream* stream;
  const grpc::ByteBuffer* write = nullptr;
  {
    absl::MutexLock lock(&mu_);
    if (stream_ == nullptr) {
      stream_ = new Stream(*this);
      ++streams_alive_;
      stream_->StartLocked();
    }
    stream = stream_;
    const uint64_t id = next_id_++;
    stream->unanswered.emplace(id, Stream::Unanswered{std::move(done), absl::Now() + timeout_});
    const std::string prefix = notify_wire::NotifyStreamRequestPrefix(id, body_size);
    grpc::Slice slices[2] = {grpc::Slice(prefix), std::move(body)};
    stream->to_write.emplace_back(slices, 2);
    if (stream->StartWritingLocked()) write = &stream->to_write.front();
    ArmAlarmLocked();
  }
  if (write != nullptr) stream->Write(write);
}

void NotifyStreamClient::ArmAlarmLocked() {
  if (alarm_armed_ || stopping_ || stream_ == nullptr || stream_->unanswered.empty()) return;
  alarm_armed_ = true;
  alarm_.Set(completions_.cq(), absl::ToChronoTime(stream_->unanswered.begin()->second.deadline),
             &expiry_);
}

void NotifyStreamClient::AlarmRang(bool fired) {
  absl::MutexLock lock(&mu_);
  alarm_armed_ = false;
  if (!fired || stopping_) return;
  Stream* stream = stream_;
  if (stream != nullptr && !stream->unanswered.empty() &&
      stream->unanswered.begin()->second.deadline <= absl::Now()) {
    stream->timed_out = true;
    stream->BreakLocked();
    stream->context.TryCancel();
  }
  ArmAlarmLocked();
}

void NotifyStreamClient::Ended() {
  absl::MutexLock lock(&mu_);
  --streams_alive_;
}

}  // namespace wecom_notify::shim
