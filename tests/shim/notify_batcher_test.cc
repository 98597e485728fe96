// File: tests/shim/notify_batcher_test.cc
//
// NotifyBatcher against a fake notifyd whose calls complete when the test says so.

#include "libs/shim/notify_batcher.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace wecom_notify::shim {
namespace {

using ::testing::ElementsAre;
using notify_wire::EncodedNotifyRequest;
using wecom_notify::v1::NotifyRequest;
using wecom_notify::v1::NotifyResponse;

// Records each call; Complete() answers the oldest open one as notifyd would: every alert whose
// alertname starts with "bad" rejected at its index.
class FakeNotifyd {
 public:
  NotifyBatcher::Send AsSend() {
    return [this](EncodedNotifyRequest request, NotifyBackend::NotifyDone done) {
      NotifyRequest decoded;
      EXPECT_TRUE(decoded.ParseFromString(std::move(request).Release()));
      calls_.push_back({std::move(decoded), std::move(done)});
    };
  }

  void Complete(const grpc::Status& status = grpc::Status::OK) {
    ASSERT_LT(completed_, calls_.size());
    Call& call = calls_[completed_++];
    NotifyResponse response;
    int accepted = 0;
    for (int i = 0; i < call.request.alerts_size(); ++i) {
      const std::string& name = call.request.alerts(i).labels().at("alertname");
      if (name.rfind("bad", 0) == 0) {
        auto* rejected = response.add_rejected();
        rejected->set_index(i);
        rejected->set_field("labels");
        rejected->set_reason(name);
      } else {
        ++accepted;
      }
    }
    response.set_accepted(accepted);
    call.done(status, response);
  }

  // The alertnames of each call, in order.
  std::vector<std::vector<std::string>> Names() const {
    std::vector<std::vector<std::string>> out;
    for (const Call& call : calls_) {
      std::vector<std::string> names;
      for (const auto& alert : call.request.alerts()) names.push_back(alert.labels().at("alertname"));
      out.push_back(std::move(names));
    }
    return out;
  }

 private:
  struct Call {
    NotifyRequest request;
    NotifyBackend::NotifyDone done;
  };
  std::vector<Call> calls_;
  std::size_t completed_ = 0;
};

EncodedNotifyRequest Request(
    std::vector<std::string> names,
    wecom_notify::v1::AlertSource source = wecom_notify::v1::ALERT_SOURCE_API) {
  EncodedNotifyRequest request(source);
  notify_wire::AlertEncoder alert;
  for (const std::string& name : names) {
    alert.Clear();
    alert.AddLabel("alertname", name);
    request.AddAlert(alert);
  }
  return request;
}

NotifyBatcher::Options Options(int max_in_flight, std::size_t max_batch_alerts = 10'000,
                               std::size_t min_alerts_for_extra_call = 1) {
  NotifyBatcher::Options options;
  options.max_in_flight = max_in_flight;
  options.max_batch_alerts = max_batch_alerts;
  options.min_alerts_for_extra_call = min_alerts_for_extra_call;
  return options;
}

// What one caller was answered.
struct Answer {
  bool called = false;
  grpc::StatusCode code = grpc::StatusCode::UNKNOWN;
  int accepted = -1;
  std::vector<std::pair<int, std::string>> rejected;  // own index, reason

  NotifyBackend::NotifyDone Callback() {
    return [this](const grpc::Status& status, const NotifyResponse& response) {
      EXPECT_FALSE(called) << "answered twice";
      called = true;
      code = status.error_code();
      accepted = response.accepted();
      for (const auto& r : response.rejected()) rejected.emplace_back(r.index(), r.reason());
    };
  }
};

TEST(NotifyBatcherTest, DestructionWaitsForTheCallsInFlight) {
  FakeNotifyd notifyd;
  Answer a, b;
  auto batcher = std::make_unique<NotifyBatcher>(notifyd.AsSend(), Options(1));
  batcher->Submit(Request({"a"}), a.Callback());
  batcher->Submit(Request({"b"}), b.Callback());  // queued behind a
  std::atomic<bool> destroyed{false};
  std::thread destroyer([&] {
    batcher.reset();
    destroyed = true;
  });
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_FALSE(destroyed);  // a is still out
  notifyd.Complete();       // a answered; b leaves in the freed slot
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_FALSE(destroyed);  // b is out now
  notifyd.Complete();
  destroyer.join();
  EXPECT_TRUE(a.called);
  EXPECT_TRUE(b.called);
}

TEST(NotifyBatcherTest, AnIdleBatcherSendsAtOnceAndAlone) {
  FakeNotifyd notifyd;
  NotifyBatcher batcher(notifyd.AsSend(), NotifyBatcher::Options());
  Answer a;
  batcher.Submit(Request({"a"}), a.Callback());
  EXPECT_THAT(notifyd.Names(), ElementsAre(ElementsAre("a")));
  notifyd.Complete();
  EXPECT_TRUE(a.called);
  EXPECT_EQ(a.code, grpc::StatusCode::OK);
  EXPECT_EQ(a.accepted, 1);
}

TEST(NotifyBatcherTest, PostsArrivingWhileCallsAreOutCoalesceInOrderAndEachGetsItsOwnAnswer) {
  FakeNotifyd notifyd;
  NotifyBatcher batcher(notifyd.AsSend(), Options(1));
  Answer first, a, b, c;
  batcher.Submit(Request({"first"}), first.Callback());
  batcher.Submit(Request({"a1", "bad-a2"}), a.Callback());
  batcher.Submit(Request({"b1"}), b.Callback());
  batcher.Submit(Request({"bad-c1", "c2", "bad-c3"}), c.Callback());
  EXPECT_EQ(notifyd.Names().size(), 1u);  // the rest wait for the slot
  EXPECT_FALSE(a.called);

  notifyd.Complete();
  EXPECT_TRUE(first.called);
  ASSERT_EQ(notifyd.Names().size(), 2u);
  EXPECT_THAT(notifyd.Names()[1], ElementsAre("a1", "bad-a2", "b1", "bad-c1", "c2", "bad-c3"));
  notifyd.Complete();

  EXPECT_EQ(a.code, grpc::StatusCode::OK);
  EXPECT_EQ(a.accepted, 1);
  EXPECT_THAT(a.rejected, ElementsAre(std::pair<int, std::string>(1, "bad-a2")));
  EXPECT_EQ(b.accepted, 1);
  EXPECT_TRUE(b.rejected.empty());
  EXPECT_EQ(c.accepted, 1);
  EXPECT_THAT(c.rejected, ElementsAre(std::pair<int, std::string>(0, "bad-c1"),
                                      std::pair<int, std::string>(2, "bad-c3")));
  EXPECT_EQ(batcher.GetStats().calls, 2u);
  EXPECT_EQ(batcher.GetStats().requests, 4u);
}

TEST(NotifyBatcherTest, AFailedCallFailsEveryRequestInIt) {
  FakeNotifyd notifyd;
  NotifyBatcher batcher(notifyd.AsSend(), Options(1));
  Answer first, a, b;
  batcher.Submit(Request({"first"}), first.Callback());
  batcher.Submit(Request({"a"}), a.Callback());
  batcher.Submit(Request({"b"}), b.Callback());
  notifyd.Complete();
  notifyd.Complete(grpc::Status(grpc::StatusCode::UNAVAILABLE, "alerts not stored durably"));
  EXPECT_EQ(a.code, grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(b.code, grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(a.accepted, 0);
}

TEST(NotifyBatcherTest, BatchesRespectTheAlertBoundAndTheSource) {
  FakeNotifyd notifyd;
  NotifyBatcher batcher(notifyd.AsSend(), Options(1, 3));
  Answer answers[6];
  batcher.Submit(Request({"first"}), answers[0].Callback());
  batcher.Submit(Request({"a1", "a2"}), answers[1].Callback());
  batcher.Submit(Request({"b1", "b2"}), answers[2].Callback());  // would make 4 > 3
  batcher.Submit(Request({"g1"}, wecom_notify::v1::ALERT_SOURCE_GRPC), answers[3].Callback());
  batcher.Submit(Request({"big1", "big2", "big3", "big4"}), answers[4].Callback());
  for (int i = 0; i < 5; ++i) notifyd.Complete();
  EXPECT_THAT(notifyd.Names(),
              ElementsAre(ElementsAre("first"), ElementsAre("a1", "a2"), ElementsAre("b1", "b2"),
                          ElementsAre("g1"), ElementsAre("big1", "big2", "big3", "big4")));
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(answers[i].called) << i;
}

TEST(NotifyBatcherTest, WebhookNotificationsAndDisabledCoalescingAreSentAlone) {
  FakeNotifyd notifyd;
  NotifyBatcher batcher(notifyd.AsSend(), Options(1));
  Answer first, webhook;
  batcher.Submit(Request({"first"}), first.Callback());
  EncodedNotifyRequest with_metadata = Request({"w"}, wecom_notify::v1::ALERT_SOURCE_WEBHOOK);
  wecom_notify::v1::WebhookMetadata metadata;
  metadata.set_receiver("wecom");
  with_metadata.set_webhook(metadata);
  batcher.Submit(std::move(with_metadata), webhook.Callback());
  EXPECT_EQ(notifyd.Names().size(), 2u);  // not held behind the open call

  FakeNotifyd direct;
  NotifyBatcher off(direct.AsSend(), Options(0));
  Answer x, y;
  off.Submit(Request({"x"}), x.Callback());
  off.Submit(Request({"y"}), y.Callback());
  EXPECT_THAT(direct.Names(), ElementsAre(ElementsAre("x"), ElementsAre("y")));
  notifyd.Complete();  // the batcher's destructor waits for its calls
  notifyd.Complete();
}

// With a call in flight, small posts wait for it until enough alerts are queued to be worth a
// call of their own; then they go together, at once.
TEST(NotifyBatcherTest, AnExtraCallStartsOnlyOnceEnoughAlertsWait) {
  FakeNotifyd notifyd;
  NotifyBatcher batcher(notifyd.AsSend(), Options(2, 10'000, 3));
  Answer first, a, b, c, d;
  batcher.Submit(Request({"first"}), first.Callback());
  batcher.Submit(Request({"a"}), a.Callback());
  EXPECT_EQ(notifyd.Names().size(), 1u);  // 1 alert waits: fewer than 3
  batcher.Submit(Request({"b1", "b2"}), b.Callback());
  ASSERT_EQ(notifyd.Names().size(), 2u);  // 3 wait: the second slot is used
  EXPECT_THAT(notifyd.Names()[1], ElementsAre("a", "b1", "b2"));

  // Both slots taken: even a large post waits for a completing call.
  batcher.Submit(Request({"c1", "c2", "c3"}), c.Callback());
  EXPECT_EQ(notifyd.Names().size(), 2u);
  notifyd.Complete();
  ASSERT_EQ(notifyd.Names().size(), 3u);
  EXPECT_THAT(notifyd.Names()[2], ElementsAre("c1", "c2", "c3"));
  notifyd.Complete();
  notifyd.Complete();
  EXPECT_TRUE(a.called && b.called && c.called);
  EXPECT_EQ(b.accepted, 2);

  // Idle again: a single alert goes at once.
  batcher.Submit(Request({"d"}), d.Callback());
  EXPECT_EQ(notifyd.Names().size(), 4u);
  notifyd.Complete();
  EXPECT_TRUE(d.called);
}

TEST(NotifyBatcherTest, SlotsAreReleasedSoLaterPostsGoAtOnceAgain) {
  FakeNotifyd notifyd;
  NotifyBatcher batcher(notifyd.AsSend(), Options(2));
  Answer a, b, c;
  batcher.Submit(Request({"a"}), a.Callback());
  batcher.Submit(Request({"b"}), b.Callback());
  notifyd.Complete();
  notifyd.Complete();
  batcher.Submit(Request({"c"}), c.Callback());
  EXPECT_EQ(notifyd.Names().size(), 3u);
  notifyd.Complete();
  EXPECT_TRUE(c.called);
}

}  // namespace
}  // namespace wecom_notify::shim
