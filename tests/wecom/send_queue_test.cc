// SendQueue merges messages queued for one destination. Threads queue behind a send held in
// flight; time is simulated (the leader's rate-limit waits advance the SimulatedClock).

#include "libs/wecom/send_queue.h"

#include <memory>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/wecom/app_message_sender.h"
#include "libs/wecom/robot_sender.h"
#include "tests/testing/testing.h"
#include "tests/wecom/fake_wecom.h"

namespace wecom_notify::wecom {
namespace {

namespace tt = ::wecom_notify::testing;
using testing::FakeWeCom;
using ::testing::ElementsAre;
using Json = nlohmann::json;

// Starts one thread per call, each running `send(i)`, and waits until the i-th is queued
// (`pending() == i`) before starting the next, so arrival order is the call order.
class Burst {
 public:
  void Start(int i, std::function<void()> send, const std::function<size_t()>& pending,
             size_t want_pending) {
    threads_.emplace_back(std::move(send));
    ASSERT_TRUE(tt::WaitFor([&] { return pending() == want_pending; }, absl::Seconds(10),
                            absl::Milliseconds(1)))
        << "message " << i << " was not queued";
  }
  void Join() {
    for (std::thread& t : threads_) t.join();
    threads_.clear();
  }
  ~Burst() { Join(); }

 private:
  std::vector<std::thread> threads_;
};

// ---- SendQueue on its own, with scripted callbacks ----

class SendQueueTest : public ::testing::Test {
 protected:
  absl::Status Send(MessageFormat format, std::string content, bool mentions = true) {
    const auto max_bytes = [](MessageFormat) -> size_t { return 20; };
    const auto ready_at = [](absl::Time now) { return now; };
    const auto deliver = [this](const SendQueue::Message& m, SendReport*) {
      if (!first_.HasBeenNotified()) {
        first_.Notify();
        release_.WaitForNotification();
      }
      absl::MutexLock l(&mu_);
      delivered_.push_back(m);
      return m.content.find("bad") != std::string::npos ? absl::InvalidArgumentError("bad")
                                                          : absl::OkStatus();
    };
    const SendQueue::Destination d{"dest", "webhook_send", max_bytes, ready_at, deliver};
    return queue_.Send(d, {format, std::move(content), mentions}, nullptr);
  }

  SimulatedClock clock_;
  SendQueue queue_{clock_};
  absl::Notification first_, release_;
  absl::Mutex mu_;
  std::vector<SendQueue::Message> delivered_;
};

TEST_F(SendQueueTest, MergesInOrderBySizeAndFormatAndSharesTheStatus) {
  std::vector<absl::Status> status(7);
  Burst burst;
  std::thread first([&] { status[0] = Send(MessageFormat::kText, "a0", false); });
  ASSERT_TRUE(tt::WaitFor([&] { return first_.HasBeenNotified(); }, absl::Seconds(10)));
  const std::vector<std::pair<MessageFormat, std::string>> rest = {
      {MessageFormat::kText, "b1"},        {MessageFormat::kText, "c2-bad"},
      {MessageFormat::kText, "d3-0123456789"},  // does not fit after "b1\n\nc2-bad" (20 bytes)
      {MessageFormat::kMarkdown, "e4"},    {MessageFormat::kText, "f5"},
      {MessageFormat::kText, "g6"}};
  for (size_t i = 0; i < rest.size(); ++i) {
    burst.Start(
        static_cast<int>(i + 1),
        [&, i] { status[i + 1] = Send(rest[i].first, rest[i].second, i == 0); },
        [&] { return queue_.Pending("dest"); }, i + 1);
  }
  release_.Notify();
  first.join();
  burst.Join();

  std::vector<std::string> contents;
  for (const auto& m : delivered_) contents.push_back(m.content);
  EXPECT_THAT(contents, ElementsAre("a0", "b1\n\nc2-bad", "d3-0123456789", "e4", "f5\n\ng6"));
  EXPECT_EQ(delivered_[3].format, MessageFormat::kMarkdown);
  EXPECT_FALSE(delivered_[0].mentions);
  EXPECT_TRUE(delivered_[1].mentions);  // b1 asked for mentions
  // The merged send failed: both messages it carried fail; the others are delivered.
  EXPECT_TRUE(status[0].ok());
  EXPECT_EQ(status[1].code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status[2].code(), absl::StatusCode::kInvalidArgument);
  for (int i : {3, 4, 5, 6}) EXPECT_TRUE(status[i].ok()) << i;
  EXPECT_EQ(queue_.Pending("dest"), 0u);
}

// ---- through the senders, with WeCom's limits ----

// Every sent content, split back into the queued messages it carried.
std::vector<std::string> Carried(const std::vector<std::string>& sent) {
  std::vector<std::string> out;
  for (const std::string& s : sent) {
    for (absl::string_view m : absl::StrSplit(s, SendQueue::kSeparator)) out.emplace_back(m);
  }
  return out;
}

// Message i: "alert i " padded to `size` bytes.
std::string Alert(int i, size_t size) {
  std::string s = absl::StrCat("alert ", i, " ");
  s.resize(size, 'x');
  return s;
}

TEST(SendQueueSenderTest, RobotBurstAboveTwentyPerMinuteArrivesCompleteInFewerMessages) {
  SimulatedClock clock;
  FakeWeCom fake(clock);
  RateLimiter limiter(RobotLimits());
  SendQueue queue(clock);
  RobotSender::Deps deps;
  deps.transport = &fake;
  deps.clock = &clock;
  deps.limiter = &limiter;
  deps.queue = &queue;
  RobotConfig config;
  config.key = "robot-key-1";
  config.webhook_url = "https://wecom.test/cgi-bin/webhook/send";
  config.mentioned_users = {"zhangsan"};
  RobotSender sender(config, deps);
  const std::string queue_key = "https://wecom.test/cgi-bin/webhook/send?robot/robot-key-1";

  // 100 alerts of 1500 bytes: two fit one 4096-byte markdown message (with the mention).
  constexpr int kCount = 100;
  const absl::Time t0 = clock.Now();
  std::vector<absl::Status> status(kCount);
  fake.HoldSends();
  Burst burst;
  std::thread first([&] {
    status[0] = sender.Send(MessageFormat::kMarkdown, Alert(0, 1500), nullptr);
  });
  ASSERT_TRUE(tt::WaitFor([&] { return fake.requests().size() == 1; }, absl::Seconds(10)));
  for (int i = 1; i < kCount; ++i) {
    SendOptions options;
    options.mentions = i % 2 == 1;
    burst.Start(
        i,
        [&, i, options] {
          status[i] = sender.Send(MessageFormat::kMarkdown, Alert(i, 1500), options, nullptr);
        },
        [&] { return queue.Pending(queue_key); }, static_cast<size_t>(i));
  }
  fake.ReleaseSends();
  first.join();
  burst.Join();

  for (int i = 0; i < kCount; ++i) EXPECT_TRUE(status[i].ok()) << i << ": " << status[i];
  const auto sends = fake.Requests("/webhook/send?");
  std::vector<std::string> sent;
  for (const auto& r : sends) {
    std::string content = Json::parse(r.request.body)["markdown"]["content"];
    EXPECT_LE(content.size(), 4096u);
    // One mention at most, at the end.
    const size_t mention = content.find("\n<@zhangsan>");
    if (mention != std::string::npos) {
      EXPECT_EQ(mention + 12, content.size());
      content.resize(mention);
    }
    sent.push_back(content);
  }
  // Nothing lost, nothing repeated, in order; in about half as many messages.
  std::vector<std::string> want;
  for (int i = 0; i < kCount; ++i) want.push_back(Alert(i, 1500));
  EXPECT_EQ(Carried(sent), want);
  EXPECT_EQ(sends.size(), 1u + (kCount - 1 + 1) / 2);
  // Never above 20 per minute.
  for (size_t i = 20; i < sends.size(); ++i) {
    EXPECT_GE(sends[i].at - sends[i - 20].at, absl::Minutes(1)) << i;
  }
  // 51 messages at 20/min: done in the third minute; 100 unmerged would need five.
  EXPECT_LT(sends.back().at - t0, absl::Minutes(3));
  EXPECT_EQ(queue.Pending(queue_key), 0u);
}

TEST(SendQueueSenderTest, AppBurstAboveThirtyPerMinutePerMemberIsMergedWithNothingLost) {
  SimulatedClock clock;
  FakeWeCom fake(clock);
  TokenCache tokens(fake, clock);
  RateLimiter limiter(AppMessageLimits());
  SendQueue queue(clock);
  AppMessageSender::Deps deps;
  deps.transport = &fake;
  deps.tokens = &tokens;
  deps.clock = &clock;
  deps.limiter = &limiter;
  deps.queue = &queue;
  AppConfig config;
  config.credentials.api_url = "https://wecom.test/cgi-bin/";
  config.credentials.corp_id = "ww0001";
  config.credentials.secret = "APP-SECRET-XYZ";
  config.agent_id = 1000002;
  Recipients to;
  to.users = {"ZhangSan", "lisi"};
  AppMessageSender sender(config, to, deps);
  // Another sender for the same app and recipients (in another order) shares the queue.
  Recipients same;
  same.users = {"lisi", "zhangsan"};
  AppMessageSender twin(config, same, deps);
  ASSERT_EQ(sender.destination_key(), twin.destination_key());

  // 200 alerts of 600 bytes: three fit one 2048-byte text message.
  constexpr int kCount = 200;
  const absl::Time t0 = clock.Now();
  std::vector<absl::Status> status(kCount);
  fake.HoldSends();
  Burst burst;
  std::thread first([&] { status[0] = sender.Send(MessageFormat::kText, Alert(0, 600), nullptr); });
  ASSERT_TRUE(tt::WaitFor([&] { return fake.Requests("/message/send?").size() == 1; },
                          absl::Seconds(10)));
  for (int i = 1; i < kCount; ++i) {
    AppMessageSender* s = i % 2 == 0 ? &sender : &twin;
    burst.Start(
        i, [&, i, s] { status[i] = s->Send(MessageFormat::kText, Alert(i, 600), nullptr); },
        [&] { return queue.Pending(sender.destination_key()); }, static_cast<size_t>(i));
  }
  fake.ReleaseSends();
  first.join();
  burst.Join();

  for (int i = 0; i < kCount; ++i) EXPECT_TRUE(status[i].ok()) << i << ": " << status[i];
  const auto sends = fake.Requests("/message/send?");
  std::vector<std::string> sent;
  for (const auto& r : sends) {
    const Json j = Json::parse(r.request.body);
    // Whichever sender led: the same two members.
    const std::string touser = absl::AsciiStrToLower(j["touser"].get<std::string>());
    EXPECT_THAT(touser, ::testing::AnyOf("zhangsan|lisi", "lisi|zhangsan"));
    sent.push_back(j["text"]["content"]);
    EXPECT_LE(sent.back().size(), 2048u);
  }
  std::vector<std::string> want;
  for (int i = 0; i < kCount; ++i) want.push_back(Alert(i, 600));
  EXPECT_EQ(Carried(sent), want);
  EXPECT_EQ(sends.size(), 1u + (kCount - 1 + 2) / 3);  // 1 + 67
  for (size_t i = 30; i < sends.size(); ++i) {
    EXPECT_GE(sends[i].at - sends[i - 30].at, absl::Minutes(1)) << i;
  }
  // 68 messages at 30/min: done in the third minute; 200 unmerged would need seven.
  EXPECT_LT(sends.back().at - t0, absl::Minutes(3));
}

}  // namespace
}  // namespace wecom_notify::wecom
