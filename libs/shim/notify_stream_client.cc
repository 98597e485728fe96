#include "libs/shim/notify_stream_client.h"

#include <algorithm>
#include <deque>
#include <utility>

#include "absl/container/btree_map.h"
#include "absl/strings/str_cat.h"
#include "libs/common/grpc_bytes.h"

namespace wecom_notify::shim {

// One stream. Its state is under the client's mu_; gRPC calls are made outside it, since gRPC may
// run reactions inline. A hold (AddHold) keeps gRPC from ending the stream — and this object —
// while anyone may still start an operation on it: until it is broken (takes no more writes) and
// nobody is busy with it (a write chain, the start, a cancel).
class NotifyStreamClient::Stream final
    : public grpc::ClientBidiReactor<grpc::ByteBuffer, wecom_notify::v1::NotifyStreamResponse> {
 public:
  explicit Stream(NotifyStreamClient& client) : client_(client) {}

  struct Unanswered {
    NotifyBackend::NotifyDone done;
    absl::Time deadline;
  };

  grpc::ClientContext context;
  // Ids ascend in sending order and the timeout is one, so the first is the oldest.
  absl::btree_map<uint64_t, Unanswered> unanswered;
  std::deque<grpc::ByteBuffer> to_write;  // the front is being written
  bool writing = false;
  int busy = 0;
  bool broken = false;
  bool timed_out = false;

  // Under mu_: takes this stream out of service (new requests open another).
  void BreakLocked() {
    broken = true;
    if (client_.stream_ == this) client_.stream_ = nullptr;
  }
  // Under mu_: whether the caller is to release the hold now.
  bool ReleaseLocked() {
    if (!broken || busy > 0 || hold_released_) return false;
    hold_released_ = true;
    return true;
  }
  // The end of something `busy` counted, outside mu_.
  void Unbusy() {
    bool release;
    {
      absl::MutexLock lock(&client_.mu_);
      --busy;
      release = ReleaseLocked();
    }
    if (release) RemoveHold();
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      bool release;
      {
        absl::MutexLock lock(&client_.mu_);
        BreakLocked();
        release = ReleaseLocked();
      }
      if (release) RemoveHold();
      return;
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
    StartRead(&response_);
  }

  void OnWriteDone(bool ok) override {
    const grpc::ByteBuffer* next = nullptr;
    bool release = false;
    {
      absl::MutexLock lock(&client_.mu_);
      to_write.pop_front();
      if (!ok) BreakLocked();  // the stream is ending; its read fails too
      if (!broken && !to_write.empty()) {
        next = &to_write.front();  // deque elements stay put while others are added behind
      } else {
        to_write.clear();  // unsent requests fail in OnDone, with the rest
        writing = false;
        --busy;
        release = ReleaseLocked();
      }
    }
    if (next != nullptr) StartWrite(next);
    if (release) RemoveHold();
  }

  void OnDone(const grpc::Status& status) override {
    absl::btree_map<uint64_t, Unanswered> failed;
    {
      absl::MutexLock lock(&client_.mu_);
      BreakLocked();
      failed.swap(unanswered);
    }
    const absl::Time now = absl::Now();
    const grpc::Status ended(
        grpc::StatusCode::UNAVAILABLE,
        absl::StrCat("the stream to notifyd ended before the answer (", status.error_code(), " ",
                     status.error_message(), "); nothing of the request was acknowledged"));
    const grpc::Status expired(
        grpc::StatusCode::DEADLINE_EXCEEDED,
        absl::StrCat("notifyd did not answer within ", absl::FormatDuration(client_.timeout_)));
    for (auto& [id, request] : failed) {
      request.done(timed_out && request.deadline <= now ? expired : ended,
                   wecom_notify::v1::NotifyResponse::default_instance());
    }
    NotifyStreamClient& client = client_;
    delete this;
    client.Ended();
  }

  wecom_notify::v1::NotifyStreamResponse response_;  // the read side's

 private:
  NotifyStreamClient& client_;
  bool hold_released_ = false;
};

NotifyStreamClient::NotifyStreamClient(std::shared_ptr<grpc::Channel> channel,
                                       absl::Duration timeout)
    : method_(absl::StrCat("/", wecom_notify::v1::Notify::service_full_name(), "/NotifyStream")),
      timeout_(timeout),
      stub_(std::move(channel)) {
  timer_ = std::thread([this] { ExpireStuckStreams(); });
}

NotifyStreamClient::~NotifyStreamClient() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  timer_.join();
  Stream* stream;
  {
    absl::MutexLock lock(&mu_);
    stream = stream_;
    if (stream != nullptr) {
      stream->BreakLocked();
      ++stream->busy;
    }
  }
  if (stream != nullptr) {
    stream->context.TryCancel();
    stream->Unbusy();
  }
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](int* alive) { return *alive == 0; }, &streams_alive_));
}

void NotifyStreamClient::Notify(notify_wire::EncodedNotifyRequest request,
                                NotifyBackend::NotifyDone done) {
  grpc::Slice body = SliceOwning(std::move(request).Release());
  const std::size_t body_size = body.size();
  Stream* stream;
  bool started = false;
  const grpc::ByteBuffer* write = nullptr;
  {
    absl::MutexLock lock(&mu_);
    if (stream_ == nullptr) {
      // Prepared under mu_ so no other request can use the stream before it is bound; gRPC
      // queues its operations until StartCall, below.
      stream_ = new Stream(*this);
      ++streams_alive_;
      ++stream_->busy;  // until started
      started = true;
      stub_.PrepareBidiStreamingCall(&stream_->context, method_, grpc::StubOptions(), stream_);
      stream_->AddHold();
      stream_->StartRead(&stream_->response_);
    }
    stream = stream_;
    const uint64_t id = next_id_++;
    stream->unanswered.emplace(id, Stream::Unanswered{std::move(done), absl::Now() + timeout_});
    const std::string prefix = notify_wire::NotifyStreamRequestPrefix(id, body_size);
    grpc::Slice slices[2] = {grpc::Slice(prefix), std::move(body)};
    stream->to_write.emplace_back(slices, 2);
    if (!stream->writing) {
      stream->writing = true;
      ++stream->busy;
      write = &stream->to_write.front();
    }
  }
  if (write != nullptr) stream->StartWrite(write);
  if (started) {
    stream->StartCall();
    stream->Unbusy();
  }
}

void NotifyStreamClient::ExpireStuckStreams() {
  // Checked often enough that a request fails within a quarter of the timeout past its deadline.
  const absl::Duration tick = std::clamp(timeout_ / 4, absl::Milliseconds(10), absl::Seconds(1));
  absl::MutexLock lock(&mu_);
  while (!mu_.AwaitWithTimeout(absl::Condition(&stopping_), tick)) {
    Stream* stream = stream_;
    if (stream == nullptr || stream->unanswered.empty() ||
        stream->unanswered.begin()->second.deadline > absl::Now()) {
      continue;
    }
    stream->timed_out = true;
    stream->BreakLocked();
    ++stream->busy;
    mu_.Unlock();
    stream->context.TryCancel();
    stream->Unbusy();
    mu_.Lock();
  }
}

void NotifyStreamClient::Ended() {
  absl::MutexLock lock(&mu_);
  --streams_alive_;
}

}  // namespace wecom_notify::shim
