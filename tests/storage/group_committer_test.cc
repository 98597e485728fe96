// File: tests/storage/group_committer_test.cc

#include "libs/storage/group_committer.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/alert/alert.h"
#include "libs/storage/sqlite_state_store.h"
#include "libs/storage/state_store.h"
#include "tests/storage/storage_test_util.h"
#include "tests/testing/testing.h"

namespace wecom_notify::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::SizeIs;
using ::wecom_notify::storage::testing::ExpectSameAlerts;
using ::wecom_notify::storage::testing::MakeAlert;

// Records each PutAlerts batch (as the "id" labels it carried). While closed, PutAlerts blocks
// inside the call, so tests can queue requests behind a batch being written.
class FakeStore : public StateStore {
 public:
  absl::Status PutAlerts(const std::vector<alert::Alert>& alerts) override {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> ids;
    for (const alert::Alert& alert : alerts) ids.push_back(std::string(*alert.labels.Get("id")));
    batches_.push_back(std::move(ids));
    ++writing_;
    mu_.Await(absl::Condition(+[](bool* open) { return *open; }, &open_));
    --writing_;
    return result_;
  }
  absl::Status DeleteAlerts(const std::vector<uint64_t>&) override {
    return absl::UnimplementedError("fake");
  }
  absl::StatusOr<std::vector<alert::Alert>> LoadAlerts() override {
    return absl::UnimplementedError("fake");
  }
  absl::Status PutNotificationLog(const std::vector<nflog::Entry>&) override {
    return absl::UnimplementedError("fake");
  }
  absl::StatusOr<std::vector<nflog::Entry>> LoadNotificationLog(absl::Time) override {
    return absl::UnimplementedError("fake");
  }
  absl::Status Prune(absl::Time, absl::Time, const std::vector<uint64_t>&) override {
    return absl::UnimplementedError("fake");
  }
  absl::Status CheckWritable() override { return absl::UnimplementedError("fake"); }
  // Runs the hook set by OnCompact and returns the result set by SetCompactResult.
  absl::Status Compact() override {
    absl::MutexLock lock(&mu_);
    if (on_compact_) on_compact_();
    return compact_result_;
  }

  void Close() {
    absl::MutexLock lock(&mu_);
    open_ = false;
  }
  void Open() {
    absl::MutexLock lock(&mu_);
    open_ = true;
  }
  // Blocks until a PutAlerts call is waiting behind the closed gate.
  void AwaitWriting() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](FakeStore* store) ABSL_NO_THREAD_SAFETY_ANALYSIS { return store->writing_ > 0; },
        this));
  }
  void SetResult(absl::Status result) {
    absl::MutexLock lock(&mu_);
    result_ = std::move(result);
  }
  void OnCompact(std::function<void()> hook) {
    absl::MutexLock lock(&mu_);
    on_compact_ = std::move(hook);
  }
  void SetCompactResult(absl::Status result) {
    absl::MutexLock lock(&mu_);
    compact_result_ = std::move(result);
  }
  std::vector<std::vector<std::string>> batches() {
    absl::MutexLock lock(&mu_);
    return batches_;
  }

 private:
  absl::Mutex mu_;
  bool open_ ABSL_GUARDED_BY(mu_) = true;
  int writing_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status result_ ABSL_GUARDED_BY(mu_);
  std::vector<std::vector<std::string>> batches_ ABSL_GUARDED_BY(mu_);
  std::function<void()> on_compact_ ABSL_GUARDED_BY(mu_);
  absl::Status compact_result_ ABSL_GUARDED_BY(mu_);
};

std::vector<alert::Alert> Alerts(const std::string& prefix, int count) {
  std::vector<alert::Alert> alerts;
  for (int i = 0; i < count; ++i) alerts.push_back(MakeAlert(absl::StrCat(prefix, i)));
  return alerts;
}

// The outcome of one Submit: how often `done` ran, with what, and whether before Submit
// returned.
struct Outcome {
  absl::Mutex mu;
  int calls ABSL_GUARDED_BY(mu) = 0;
  absl::Status status ABSL_GUARDED_BY(mu);
  bool inline_call = false;
  absl::Notification done;

  GroupCommitter::Done Callback() {
    return [this](absl::Status result) {
      absl::MutexLock lock(&mu);
      ++calls;
      status = std::move(result);
      if (!done.HasBeenNotified()) done.Notify();
    };
  }
  absl::Status Wait() {
    EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
    absl::MutexLock lock(&mu);
    return status;
  }
  int Calls() {
    absl::MutexLock lock(&mu);
    return calls;
  }
};

// Submits and records whether `done` ran before Submit returned.
void Submit(GroupCommitter& committer, std::vector<alert::Alert> alerts, Outcome& outcome) {
  committer.Submit(std::move(alerts), outcome.Callback());
  outcome.inline_call = outcome.done.HasBeenNotified();
}

TEST(GroupCommitterTest, WritesASingleRequestAndAcknowledgesIt) {
  FakeStore store;
  GroupCommitter committer(store);
  Outcome outcome;
  Submit(committer, Alerts("a", 3), outcome);
  EXPECT_TRUE(outcome.Wait().ok());
  EXPECT_THAT(store.batches(), ElementsAre(ElementsAre("a0", "a1", "a2")));
  committer.Shutdown();
  EXPECT_EQ(outcome.Calls(), 1);
  const GroupCommitter::Stats stats = committer.GetStats();
  EXPECT_EQ(stats.batches, 1u);
  EXPECT_EQ(stats.requests, 1u);
  EXPECT_EQ(stats.alerts, 3u);
  EXPECT_EQ(stats.last_batch_alerts, 3u);
  EXPECT_EQ(stats.failed_batches, 0u);
}

TEST(GroupCommitterTest, RequestsQueuedWhileWritingShareOneBatch) {
  FakeStore store;
  GroupCommitter committer(store);
  store.Close();
  Outcome first, b, c, d;
  Submit(committer, Alerts("a", 1), first);
  store.AwaitWriting();  // the writer holds batch 1
  Submit(committer, Alerts("b", 2), b);
  Submit(committer, Alerts("c", 1), c);
  Submit(committer, {}, d);
  EXPECT_EQ(committer.GetStats().pending_requests, 3u);
  EXPECT_EQ(committer.GetStats().pending_alerts, 3u);
  store.Open();
  for (Outcome* outcome : {&first, &b, &c, &d}) EXPECT_TRUE(outcome->Wait().ok());
  EXPECT_THAT(store.batches(), ElementsAre(ElementsAre("a0"), ElementsAre("b0", "b1", "c0")));
  const GroupCommitter::Stats stats = committer.GetStats();
  EXPECT_EQ(stats.batches, 2u);
  EXPECT_EQ(stats.requests, 4u);
  EXPECT_EQ(stats.alerts, 4u);
  EXPECT_EQ(stats.last_batch_requests, 3u);
  EXPECT_EQ(stats.last_batch_alerts, 3u);
  EXPECT_EQ(stats.pending_requests, 0u);
}

TEST(GroupCommitterTest, StoreErrorReachesEveryRequestOfTheBatch) {
  FakeStore store;
  GroupCommitter committer(store);
  store.Close();
  Outcome first, b, c;
  Submit(committer, Alerts("a", 1), first);
  store.AwaitWriting();
  Submit(committer, Alerts("b", 1), b);
  Submit(committer, Alerts("c", 1), c);
  store.SetResult(absl::UnavailableError("disk on fire"));
  store.Open();
  for (Outcome* outcome : {&first, &b, &c}) {
    const absl::Status status = outcome->Wait();
    EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(status.message(), "disk on fire");
  }
  EXPECT_EQ(committer.GetStats().failed_batches, 2u);
  // A later batch succeeds again.
  store.SetResult(absl::OkStatus());
  Outcome later;
  Submit(committer, Alerts("d", 1), later);
  EXPECT_TRUE(later.Wait().ok());
}

TEST(GroupCommitterTest, BatchObserverSeesEachBatchResultBeforeItsRequests) {
  FakeStore store;
  absl::Mutex mu;
  std::vector<absl::StatusCode> observed;
  GroupCommitter::Options options;
  options.on_batch_written = [&](const absl::Status& status) {
    absl::MutexLock lock(&mu);
    observed.push_back(status.code());
  };
  GroupCommitter committer(store, options);
  store.SetResult(absl::UnavailableError("disk on fire"));
  Outcome failed;
  committer.Submit(Alerts("a", 1), [&](absl::Status status) {
    {
      absl::MutexLock lock(&mu);
      EXPECT_EQ(observed.size(), 1u);  // the observer ran first
    }
    failed.Callback()(std::move(status));
  });
  EXPECT_EQ(failed.Wait().code(), absl::StatusCode::kUnavailable);
  store.SetResult(absl::OkStatus());
  Outcome ok;
  Submit(committer, Alerts("b", 1), ok);
  EXPECT_TRUE(ok.Wait().ok());
  // Rejections are not batches: a refused Submit reaches no observer.
  committer.Shutdown();
  Outcome refused;
  Submit(committer, Alerts("c", 1), refused);
  EXPECT_EQ(refused.Wait().code(), absl::StatusCode::kUnavailable);
  absl::MutexLock lock(&mu);
  EXPECT_THAT(observed, ::testing::ElementsAre(absl::StatusCode::kUnavailable, absl::StatusCode::kOk));
}

TEST(GroupCommitterTest, CompactsAfterTheBatchIsAcknowledgedAndCountsFailures) {
  FakeStore store;
  store.SetCompactResult(absl::UnavailableError("disk I/O error"));
  Outcome outcome;
  int acknowledged_before_compact = -1;
  store.OnCompact([&] { acknowledged_before_compact = outcome.Calls(); });
  GroupCommitter committer(store);
  Submit(committer, Alerts("a", 2), outcome);
  EXPECT_TRUE(outcome.Wait().ok());
  committer.Shutdown();  // joins the writer: its Compact call has happened
  EXPECT_EQ(acknowledged_before_compact, 1);
  EXPECT_EQ(committer.GetStats().failed_compactions, 1u);
}

TEST(GroupCommitterTest, FullQueueRejectsAtOnceWithResourceExhausted) {
  FakeStore store;
  GroupCommitter::Options options;
  options.max_pending_alerts = 10;
  GroupCommitter committer(store, options);
  store.Close();
  Outcome writing, queued, rejected, fits;
  Submit(committer, Alerts("w", 5), writing);
  store.AwaitWriting();  // the batch being written does not count against the bound
  Submit(committer, Alerts("q", 6), queued);
  Submit(committer, Alerts("r", 5), rejected);  // 6 + 5 > 10
  Submit(committer, Alerts("f", 4), fits);      // 6 + 4 = 10
  EXPECT_TRUE(rejected.inline_call);
  EXPECT_EQ(rejected.Wait().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_FALSE(queued.inline_call);
  EXPECT_FALSE(fits.inline_call);
  EXPECT_EQ(committer.GetStats().rejected_full, 1u);
  store.Open();
  for (Outcome* outcome : {&writing, &queued, &fits}) EXPECT_TRUE(outcome->Wait().ok());
  EXPECT_EQ(rejected.Calls(), 1);
  ASSERT_THAT(store.batches(), SizeIs(2));
  EXPECT_THAT(store.batches()[1], SizeIs(10));
}

TEST(GroupCommitterTest, OversizedRequestIsAcceptedWhenTheQueueIsEmpty) {
  FakeStore store;
  GroupCommitter::Options options;
  options.max_pending_alerts = 10;
  GroupCommitter committer(store, options);
  Outcome big;
  Submit(committer, Alerts("big", 25), big);
  EXPECT_TRUE(big.Wait().ok());
  EXPECT_THAT(store.batches(), ElementsAre(SizeIs(25)));
}

TEST(GroupCommitterTest, ShutdownDrainsTheQueueThenRejects) {
  FakeStore store;
  GroupCommitter committer(store);
  store.Close();
  Outcome writing, queued1, queued2;
  Submit(committer, Alerts("w", 1), writing);
  store.AwaitWriting();
  Submit(committer, Alerts("q", 1), queued1);
  Submit(committer, Alerts("r", 1), queued2);
  std::thread shutdown([&] { committer.Shutdown(); });
  // Once Shutdown began, Submit is refused at once. Probes that got in before are written.
  std::vector<std::unique_ptr<Outcome>> probes;
  bool refused = false;
  for (int i = 0; i < 100000 && !refused; ++i) {
    probes.push_back(std::make_unique<Outcome>());
    Submit(committer, {}, *probes.back());
    refused = probes.back()->inline_call;
    if (!refused) absl::SleepFor(absl::Microseconds(100));
  }
  ASSERT_TRUE(refused);
  EXPECT_EQ(probes.back()->Wait().code(), absl::StatusCode::kUnavailable);
  store.Open();
  shutdown.join();
  // Everything accepted before Shutdown was written and acknowledged by the time it returned.
  for (Outcome* outcome : {&writing, &queued1, &queued2}) {
    EXPECT_TRUE(outcome->done.HasBeenNotified());
    EXPECT_TRUE(outcome->Wait().ok());
  }
  for (std::size_t i = 0; i + 1 < probes.size(); ++i) {
    EXPECT_TRUE(probes[i]->done.HasBeenNotified());
    EXPECT_TRUE(probes[i]->Wait().ok());
  }
  ASSERT_GE(store.batches().size(), 2u);
  EXPECT_THAT(store.batches()[1], ElementsAre("q0", "r0"));

  Outcome after;
  Submit(committer, Alerts("late", 1), after);
  EXPECT_TRUE(after.inline_call);
  EXPECT_EQ(after.Wait().code(), absl::StatusCode::kUnavailable);
  EXPECT_GE(committer.GetStats().rejected_shutdown, 2u);
  committer.Shutdown();  // idempotent
}

TEST(GroupCommitterTest, DestructorWritesWhatWasQueued) {
  const std::string dir = wecom_notify::testing::MakeTempDir("storage-committer");
  absl::StatusOr<std::unique_ptr<SqliteStateStore>> store = SqliteStateStore::Open(dir);
  ASSERT_TRUE(store.ok()) << store.status();
  std::vector<std::unique_ptr<Outcome>> outcomes;
  std::vector<alert::Alert> all;
  {
    GroupCommitter committer(**store);
    for (int i = 0; i < 50; ++i) {
      std::vector<alert::Alert> alerts = Alerts(absl::StrCat("d", i, "-"), 2);
      all.insert(all.end(), alerts.begin(), alerts.end());
      outcomes.push_back(std::make_unique<Outcome>());
      Submit(committer, std::move(alerts), *outcomes.back());
    }
  }
  for (const auto& outcome : outcomes) {
    EXPECT_TRUE(outcome->done.HasBeenNotified());
    EXPECT_EQ(outcome->Calls(), 1);
    EXPECT_TRUE(outcome->Wait().ok());
  }
  absl::StatusOr<std::vector<alert::Alert>> loaded = (*store)->LoadAlerts();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ExpectSameAlerts(*loaded, all);
}

TEST(GroupCommitterTest, DoneMaySubmitAgain) {
  FakeStore store;
  GroupCommitter committer(store);
  Outcome second;
  absl::Notification first_done;
  committer.Submit(Alerts("a", 1), [&](absl::Status status) {
    EXPECT_TRUE(status.ok());
    committer.Submit(Alerts("b", 1), second.Callback());
    first_done.Notify();
  });
  EXPECT_TRUE(first_done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_TRUE(second.Wait().ok());
  EXPECT_THAT(store.batches(), ElementsAre(ElementsAre("a0"), ElementsAre("b0")));
}

// Sixteen threads submitting (in `mode`) and each waiting for its acknowledgement.
void ExpectConcurrentSubmittersAcknowledgedOnceInSharedBatches(GroupCommitter::Mode mode) {
  const std::string dir = wecom_notify::testing::MakeTempDir("storage-committer");
  absl::StatusOr<std::unique_ptr<SqliteStateStore>> store = SqliteStateStore::Open(dir);
  ASSERT_TRUE(store.ok()) << store.status();
  GroupCommitter committer(**store);
  constexpr int kThreads = 16;
  constexpr int kRequestsPerThread = 100;
  constexpr int kAlertsPerRequest = 3;
  // calls[t][i]: how often the done of thread t's request i ran.
  std::vector<std::vector<std::atomic<int>>> calls(kThreads);
  for (auto& row : calls) row = std::vector<std::atomic<int>>(kRequestsPerThread);
  std::atomic<int> failures{0};
  std::vector<alert::Alert> all;
  std::vector<std::vector<std::vector<alert::Alert>>> requests(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kRequestsPerThread; ++i) {
      requests[t].push_back(Alerts(absl::StrCat("t", t, "-", i, "-"), kAlertsPerRequest));
      all.insert(all.end(), requests[t].back().begin(), requests[t].back().end());
    }
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Like the shim: each request waits for its acknowledgement before the next.
      for (int i = 0; i < kRequestsPerThread; ++i) {
        absl::Notification written;
        committer.Submit(
            std::move(requests[t][i]),
            [&, t, i](absl::Status status) {
              if (!status.ok()) ++failures;
              ++calls[t][i];
              written.Notify();
            },
            mode);
        written.WaitForNotification();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  committer.Shutdown();

  EXPECT_EQ(failures.load(), 0);
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kRequestsPerThread; ++i) {
      EXPECT_EQ(calls[t][i].load(), 1) << "thread " << t << " request " << i;
    }
  }
  absl::StatusOr<std::vector<alert::Alert>> loaded = (*store)->LoadAlerts();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ExpectSameAlerts(*loaded, all);

  const GroupCommitter::Stats stats = committer.GetStats();
  EXPECT_EQ(stats.requests, uint64_t{kThreads * kRequestsPerThread});
  EXPECT_EQ(stats.alerts, uint64_t{kThreads * kRequestsPerThread * kAlertsPerRequest});
  // Sixteen writers waiting on one database share transactions: a committer that never
  // coalesces would make one batch per request. (Typically ~10 requests per batch here.)
  EXPECT_LT(stats.batches, stats.requests);
  std::printf("%llu requests in %llu batches (%.1f requests, %.1f alerts per batch)\n",
              static_cast<unsigned long long>(stats.requests),
              static_cast<unsigned long long>(stats.batches),
              static_cast<double>(stats.requests) / stats.batches,
              static_cast<double>(stats.alerts) / stats.batches);
}

TEST(GroupCommitterTest, ConcurrentSubmittersAreAcknowledgedOnceAndStoredInSharedBatches) {
  ExpectConcurrentSubmittersAcknowledgedOnceInSharedBatches(GroupCommitter::Mode::kQueue);
}

TEST(GroupCommitterTest, ConcurrentInlineSubmittersToo) {
  // Some write inline, the rest queue behind them for the writer thread; no request is written
  // twice or lost, and those that queued still share batches.
  ExpectConcurrentSubmittersAcknowledgedOnceInSharedBatches(
      GroupCommitter::Mode::kWriteInlineWhenIdle);
}

TEST(GroupCommitterTest, AnIdleCommitterWritesAnInlineRequestOnTheSubmittingThread) {
  FakeStore store;
  absl::Mutex mu;
  std::vector<std::string> order;
  GroupCommitter::Options options;
  options.on_batch_written = [&](const absl::Status&) {
    absl::MutexLock lock(&mu);
    order.push_back("observer");
  };
  GroupCommitter committer(store, options);
  store.OnCompact([&] {
    absl::MutexLock lock(&mu);
    order.push_back("compact");
  });
  const std::thread::id submitter = std::this_thread::get_id();
  std::thread::id written_on;
  committer.Submit(
      Alerts("a", 2),
      [&](absl::Status status) {
        EXPECT_TRUE(status.ok());
        written_on = std::this_thread::get_id();
        absl::MutexLock lock(&mu);
        order.push_back("done");
      },
      GroupCommitter::Mode::kWriteInlineWhenIdle);
  // All of it happened before Submit returned, on this thread.
  EXPECT_EQ(written_on, submitter);
  EXPECT_THAT(store.batches(), ElementsAre(ElementsAre("a0", "a1")));
  {
    absl::MutexLock lock(&mu);
    EXPECT_THAT(order, ElementsAre("observer", "done", "compact"));
  }
  EXPECT_EQ(committer.GetStats().batches, 1u);
  EXPECT_EQ(committer.GetStats().requests, 1u);
}

TEST(GroupCommitterTest, InlineRequestsQueueWhileABatchIsBeingWritten) {
  FakeStore store;
  GroupCommitter committer(store);
  store.Close();
  Outcome first, b, c;
  std::thread writer_of_a([&] {
    committer.Submit(Alerts("a", 1), first.Callback(), GroupCommitter::Mode::kWriteInlineWhenIdle);
  });
  store.AwaitWriting();  // the submitting thread holds batch 1
  committer.Submit(Alerts("b", 1), b.Callback(), GroupCommitter::Mode::kWriteInlineWhenIdle);
  committer.Submit(Alerts("c", 1), c.Callback(), GroupCommitter::Mode::kWriteInlineWhenIdle);
  EXPECT_FALSE(b.done.HasBeenNotified());
  EXPECT_EQ(committer.GetStats().pending_requests, 2u);
  store.Open();
  writer_of_a.join();
  for (Outcome* outcome : {&first, &b, &c}) EXPECT_TRUE(outcome->Wait().ok());
  EXPECT_THAT(store.batches(), ElementsAre(ElementsAre("a0"), ElementsAre("b0", "c0")));
}

TEST(GroupCommitterTest, ShutdownWaitsForARequestBeingWrittenInline) {
  // The submitting thread is past its write, in the store's Compact(): the writer thread has
  // nothing to wait for, Shutdown still must (the owner destroys the store next).
  FakeStore store;
  GroupCommitter committer(store);
  absl::Notification in_compact, compact_may_end;
  store.OnCompact([&] {
    in_compact.Notify();
    compact_may_end.WaitForNotification();
  });
  Outcome inline_request;
  std::thread submitter([&] {
    committer.Submit(Alerts("a", 1), inline_request.Callback(),
                     GroupCommitter::Mode::kWriteInlineWhenIdle);
  });
  in_compact.WaitForNotification();
  std::atomic<bool> shut_down{false};
  std::thread shutdown([&] {
    committer.Shutdown();
    shut_down = true;
  });
  // Time for a Shutdown that does not wait to return.
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_FALSE(shut_down.load());
  compact_may_end.Notify();
  shutdown.join();
  submitter.join();
  EXPECT_TRUE(inline_request.Wait().ok());
}

}  // namespace
}  // namespace wecom_notify::storage
