// File: tests/notify_server/notify_stream_test.cc
//
// Notify.NotifyStream on a real NotifyServer, driven with the generated synchronous stub.

#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/clock.h"
#include "libs/notify_server/notify_server.h"
#include "tests/testing/testing.h"
#include "wecom_notify/v1/notify.grpc.pb.h"

namespace wecom_notify::notify_server {
namespace {

using ::testing::HasSubstr;
using wecom_notify::v1::NotifyStreamRequest;
using wecom_notify::v1::NotifyStreamResponse;

NotifyStreamRequest Request(uint64_t id, const std::string& alertname) {
  NotifyStreamRequest message;
  message.set_id(id);
  auto* alert = message.mutable_request()->add_alerts();
  (*alert->mutable_labels())["alertname"] = alertname;
  message.mutable_request()->set_source(wecom_notify::v1::ALERT_SOURCE_GRPC);
  return message;
}

// A NotifyStream call of raw messages, for bytes the generated stub cannot send.
class RawStream {
 public:
  explicit RawStream(const std::shared_ptr<grpc::Channel>& channel) : generic_(channel) {
    call_ = generic_.PrepareCall(&context_, "/wecom_notify.v1.Notify/NotifyStream", &cq_);
    call_->StartCall(Tag());
    started_ = Wait();
  }
  ~RawStream() {
    context_.TryCancel();
    if (!finished_) Finish();
    cq_.Shutdown();
    void* tag;
    bool ok;
    while (cq_.Next(&tag, &ok)) {
    }
  }

  bool started() const { return started_; }

  bool Write(const std::string& bytes) {
    grpc::Slice slice(bytes);
    grpc::ByteBuffer buffer(&slice, 1);
    call_->Write(buffer, Tag());
    return Wait();
  }

  // The next message's bytes; empty when the stream ended.
  std::string Read() {
    grpc::ByteBuffer buffer;
    call_->Read(&buffer, Tag());
    std::vector<grpc::Slice> slices;
    if (!Wait() || !buffer.Dump(&slices).ok()) return "";
    std::string bytes;
    for (const auto& slice : slices) {
      bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
    return bytes;
  }

  grpc::Status Finish() {
    grpc::Status status;
    call_->Finish(&status, Tag());
    Wait();
    finished_ = true;
    return status;
  }

 private:
  void* Tag() { return reinterpret_cast<void*>(++tags_); }
  // Waits for the operation just started (one at a time); whether it succeeded.
  bool Wait() {
    void* tag;
    bool ok = false;
    while (cq_.Next(&tag, &ok) && tag != reinterpret_cast<void*>(tags_)) {
    }
    return ok;
  }

  grpc::GenericStub generic_;
  grpc::ClientContext context_;
  grpc::CompletionQueue cq_;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call_;
  std::intptr_t tags_ = 0;
  bool started_ = false;
  bool finished_ = false;
};

class NotifyStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NotifyServerOptions options;
    options.grpc_listen_address = "127.0.0.1:0";
    options.web_listen_address = "127.0.0.1:0";
    options.storage_path = wecom_notify::testing::MakeTempDir("notify-stream");
    auto server = NotifyServer::Start(options, Clock::Real());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->grpc_port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = wecom_notify::v1::Notify::NewStub(channel_);
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  std::unique_ptr<NotifyServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<wecom_notify::v1::Notify::Stub> stub_;
};

TEST_F(NotifyStreamTest, EachRequestIsStoredAndAnsweredUnderItsId) {
  grpc::ClientContext context;
  auto stream = stub_->NotifyStream(&context);
  constexpr int kRequests = 100;  // more than the server reads ahead of its answers
  for (int i = 1; i <= kRequests; ++i) {
    ASSERT_TRUE(stream->Write(Request(static_cast<uint64_t>(i), absl::StrCat("Alert", i))));
  }
  std::vector<bool> answered(kRequests + 1, false);
  NotifyStreamResponse answer;
  for (int i = 0; i < kRequests; ++i) {
    ASSERT_TRUE(stream->Read(&answer)) << i;
    ASSERT_GE(answer.id(), 1u);
    ASSERT_LE(answer.id(), static_cast<uint64_t>(kRequests));
    EXPECT_FALSE(answered[answer.id()]) << "answered twice: " << answer.id();
    answered[answer.id()] = true;
    EXPECT_EQ(answer.code(), 0) << answer.message();
    EXPECT_EQ(answer.response().accepted(), 1);
  }
  EXPECT_EQ(server_->store().size(), static_cast<std::size_t>(kRequests));
  ASSERT_TRUE(stream->WritesDone());
  EXPECT_FALSE(stream->Read(&answer));
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(NotifyStreamTest, RefusedAlertsAndUndecodableRequestsAreAnsweredAndTheStreamGoesOn) {
  grpc::ClientContext context;
  auto stream = stub_->NotifyStream(&context);
  NotifyStreamResponse answer;

  NotifyStreamRequest invalid = Request(1, "Good");
  (*invalid.mutable_request()->add_alerts()->mutable_labels())["0bad"] = "x";
  ASSERT_TRUE(stream->Write(invalid));
  ASSERT_TRUE(stream->Read(&answer));
  EXPECT_EQ(answer.id(), 1u);
  EXPECT_EQ(answer.code(), 0);
  EXPECT_EQ(answer.response().accepted(), 1);
  ASSERT_EQ(answer.response().rejected_size(), 1);
  EXPECT_EQ(answer.response().rejected(0).index(), 1);

  // A request record that is not a NotifyRequest, under id 2: the raw message, as a foreign
  // client might send it.
  const std::string bad_request = "\x0a\x05\x0a\x03";
  const std::string raw =
      std::string("\x08\x02\x12", 3) + static_cast<char>(bad_request.size()) + bad_request;
  NotifyStreamRequest carried;
  ASSERT_FALSE(carried.ParseFromString(raw));  // so the generated stub cannot send it: go raw
  stream->WritesDone();
  stream->Finish();

  RawStream raw_stream(channel_);
  ASSERT_TRUE(raw_stream.started());
  ASSERT_TRUE(raw_stream.Write(raw));
  ASSERT_TRUE(answer.ParseFromString(raw_stream.Read()));
  EXPECT_EQ(answer.id(), 2u);
  EXPECT_EQ(answer.code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_THAT(answer.message(), HasSubstr("alerts[0]"));

  // The stream takes the next request.
  ASSERT_TRUE(raw_stream.Write(Request(3, "After").SerializeAsString()));
  ASSERT_TRUE(answer.ParseFromString(raw_stream.Read()));
  EXPECT_EQ(answer.id(), 3u);
  EXPECT_EQ(answer.code(), 0);
  EXPECT_EQ(server_->store().size(), 2u);  // Good, After
}

TEST_F(NotifyStreamTest, AMessageThatIsNotAStreamRequestEndsTheStream) {
  RawStream raw_stream(channel_);
  ASSERT_TRUE(raw_stream.started());
  raw_stream.Write(std::string("\x08", 1));  // an id without its value
  EXPECT_EQ(raw_stream.Read(), "");
  const grpc::Status status = raw_stream.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("id"));
}

TEST_F(NotifyStreamTest, ShutdownEndsAnOpenStreamWithoutWaitingOutItsGrace) {
  grpc::ClientContext context;
  auto stream = stub_->NotifyStream(&context);
  ASSERT_TRUE(stream->Write(Request(1, "BeforeShutdown")));
  NotifyStreamResponse answer;
  ASSERT_TRUE(stream->Read(&answer));
  EXPECT_EQ(answer.code(), 0);

  // The stream stays open (the client neither closes nor cancels it); a server waiting for it
  // would take the whole minute.
  const absl::Time start = absl::Now();
  server_->Shutdown(absl::Minutes(1));
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
  EXPECT_FALSE(stream->Read(&answer));
  EXPECT_FALSE(stream->Finish().ok());
}

}  // namespace
}  // namespace wecom_notify::notify_server
