// File: tests/shim/notify_stream_client_test.cc
//
// NotifyStreamClient against a real NotifyServer (answers, restarts) and against a notifyd that
// reads requests and never answers (the timeout).

#include "libs/shim/notify_stream_client.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/server_builder.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/clock.h"
#include "libs/notify_server/notify_server.h"
#include "tests/shim/in_process_notifyd.h"
#include "tests/testing/testing.h"

namespace wecom_notify::shim {
namespace {

using notify_wire::AlertEncoder;
using notify_wire::EncodedNotifyRequest;

EncodedNotifyRequest OneAlert(const std::string& alertname) {
  AlertEncoder alert;
  alert.AddLabel("alertname", alertname);
  EncodedNotifyRequest request(wecom_notify::v1::ALERT_SOURCE_API);
  request.AddAlert(alert);
  return request;
}

// The outcomes of requests, awaited with a bound so that a lost answer fails instead of hanging.
class Outcomes {
 public:
  NotifyBackend::NotifyDone Expect() {
    return [this](const grpc::Status& status, const wecom_notify::v1::NotifyResponse& response) {
      absl::MutexLock lock(&mu_);
      codes_.push_back(status.error_code());
      accepted_ += response.accepted();
    };
  }

  // The codes of the first `count` outcomes; fewer if they did not all come within 20 s.
  std::vector<grpc::StatusCode> Await(std::size_t count) {
    absl::MutexLock lock(&mu_);
    auto arrived = [this, count]()
                       ABSL_SHARED_LOCKS_REQUIRED(mu_) { return codes_.size() >= count; };
    mu_.AwaitWithTimeout(absl::Condition(&arrived), absl::Seconds(20));
    return codes_;
  }

  int accepted() {
    absl::MutexLock lock(&mu_);
    return accepted_;
  }

 private:
  absl::Mutex mu_;
  std::vector<grpc::StatusCode> codes_ ABSL_GUARDED_BY(mu_);
  int accepted_ ABSL_GUARDED_BY(mu_) = 0;
};

std::shared_ptr<grpc::Channel> ChannelTo(int port) {
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
}

TEST(NotifyStreamClientTest, ConcurrentRequestsAreEachAnsweredOnce) {
  auto notifyd = StartNotifyd(0);
  ASSERT_NE(notifyd, nullptr);
  Outcomes outcomes;
  {
    CompletionQueueThread completions("test-client");
    NotifyStreamClient client(ChannelTo(notifyd->grpc_port()), absl::Seconds(10), completions);
    constexpr int kThreads = 8;
    constexpr int kPerThread = 100;
    std::vector<std::thread> senders;
    for (int t = 0; t < kThreads; ++t) {
      senders.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          client.Notify(OneAlert(absl::StrCat("Alert-", t, "-", i)), outcomes.Expect());
        }
      });
    }
    for (auto& sender : senders) sender.join();
    const auto codes = outcomes.Await(kThreads * kPerThread);
    ASSERT_EQ(codes.size(), static_cast<std::size_t>(kThreads * kPerThread));
    for (grpc::StatusCode code : codes) EXPECT_EQ(code, grpc::StatusCode::OK);
  }
  EXPECT_EQ(outcomes.accepted(), 800);
  EXPECT_EQ(notifyd->store().size(), 800u);
}

TEST(NotifyStreamClientTest, NoNotifydMeansUnavailable) {
  const int port = wecom_notify::testing::FreePort();
  Outcomes outcomes;
  CompletionQueueThread completions("test-client");
  NotifyStreamClient client(ChannelTo(port), absl::Seconds(10), completions);
  std::atomic<bool> answered_inline{false};
  const std::thread::id caller = std::this_thread::get_id();
  client.Notify(OneAlert("Nobody"), [&, done = outcomes.Expect()](
                                        const grpc::Status& status,
                                        const wecom_notify::v1::NotifyResponse& response) mutable {
    answered_inline = std::this_thread::get_id() == caller;
    done(status, response);
  });
  const auto codes = outcomes.Await(1);
  ASSERT_EQ(codes.size(), 1u);
  EXPECT_EQ(codes[0], grpc::StatusCode::UNAVAILABLE);
  EXPECT_FALSE(answered_inline.load());  // on the completion thread
}

TEST(NotifyStreamClientTest, ANotifydRestartEndsTheStreamAndTheNextRequestOpensANewOne) {
  auto notifyd = StartNotifyd(0);
  ASSERT_NE(notifyd, nullptr);
  const int port = notifyd->grpc_port();
  Outcomes outcomes;
  CompletionQueueThread completions("test-client");
  NotifyStreamClient client(ChannelTo(port), absl::Seconds(10), completions);
  client.Notify(OneAlert("Before"), outcomes.Expect());
  ASSERT_EQ(outcomes.Await(1), std::vector<grpc::StatusCode>{grpc::StatusCode::OK});

  notifyd->Shutdown();
  notifyd.reset();
  client.Notify(OneAlert("WhileDown"), outcomes.Expect());
  auto codes = outcomes.Await(2);
  ASSERT_EQ(codes.size(), 2u);
  EXPECT_EQ(codes[1], grpc::StatusCode::UNAVAILABLE);

  notifyd = StartNotifyd(port);
  ASSERT_NE(notifyd, nullptr);
  // The channel reconnects within its backoff (up to a second or so): retry as the shim's
  // callers do, a bounded number of times.
  for (std::size_t attempt = 0; attempt < 100; ++attempt) {
    client.Notify(OneAlert("After"), outcomes.Expect());
    codes = outcomes.Await(3 + attempt);
    ASSERT_EQ(codes.size(), 3 + attempt);
    if (codes.back() == grpc::StatusCode::OK) break;
    EXPECT_EQ(codes.back(), grpc::StatusCode::UNAVAILABLE);
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(codes.back(), grpc::StatusCode::OK);
  EXPECT_EQ(notifyd->store().size(), 1u);
}

// Reads every request and answers none; counts the streams opened.
class SilentNotifyd final : public wecom_notify::v1::Notify::WithCallbackMethod_NotifyStream<
                                wecom_notify::v1::Notify::Service> {
 public:
  std::atomic<int> streams{0};

  grpc::ServerBidiReactor<wecom_notify::v1::NotifyStreamRequest,
                          wecom_notify::v1::NotifyStreamResponse>*
  NotifyStream(grpc::CallbackServerContext* /*context*/) override {
    ++streams;
    return new Reactor();
  }

 private:
  class Reactor final : public grpc::ServerBidiReactor<wecom_notify::v1::NotifyStreamRequest,
                                                       wecom_notify::v1::NotifyStreamResponse> {
   public:
    Reactor() { StartRead(&request_); }
    void OnReadDone(bool ok) override {
      if (ok) return StartRead(&request_);
      Finish(grpc::Status::CANCELLED);
    }
    void OnDone() override { delete this; }

   private:
    wecom_notify::v1::NotifyStreamRequest request_;
  };
};

TEST(NotifyStreamClientTest, AnUnansweredRequestTimesOutAndTheNextOpensANewStream) {
  SilentNotifyd silent;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&silent);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);

  Outcomes outcomes;
  CompletionQueueThread completions("test-client");
  {
    NotifyStreamClient client(ChannelTo(port), absl::Milliseconds(300), completions);
    client.Notify(OneAlert("Stuck1"), outcomes.Expect());
    client.Notify(OneAlert("Stuck2"), outcomes.Expect());
    auto codes = outcomes.Await(2);
    ASSERT_EQ(codes.size(), 2u);
    EXPECT_EQ(codes[0], grpc::StatusCode::DEADLINE_EXCEEDED);
    // Sent a moment later: past its deadline too, unless the check fell in between.
    EXPECT_THAT(codes[1], ::testing::AnyOf(grpc::StatusCode::DEADLINE_EXCEEDED,
                                           grpc::StatusCode::UNAVAILABLE));
    EXPECT_EQ(silent.streams.load(), 1);

    client.Notify(OneAlert("Stuck3"), outcomes.Expect());
    codes = outcomes.Await(3);
    ASSERT_EQ(codes.size(), 3u);
    EXPECT_EQ(codes[2], grpc::StatusCode::DEADLINE_EXCEEDED);
    EXPECT_EQ(silent.streams.load(), 2);

    // Ending the client with a request outstanding fails it and leaves nothing behind.
    client.Notify(OneAlert("Outstanding"), outcomes.Expect());
  }
  const auto codes = outcomes.Await(4);
  ASSERT_EQ(codes.size(), 4u);
  EXPECT_EQ(codes[3], grpc::StatusCode::UNAVAILABLE);
  server->Shutdown();
}

}  // namespace
}  // namespace wecom_notify::shim
