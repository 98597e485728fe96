// File: tests/common/completion_queue_thread_test.cc
//
// CompletionQueueThread with gRPC alarms, the simplest operations that complete on a queue.

#include "libs/common/completion_queue_thread.h"

#include <grpcpp/alarm.h>
#include <pthread.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace wecom_notify {
namespace {

// Records each completion: its `ok` and the thread it ran on.
class Recorder final : public CompletionQueueThread::Tag {
 public:
  void OnComplete(bool ok) override {
    absl::MutexLock lock(&mu_);
    oks_.push_back(ok);
    threads_.push_back(std::this_thread::get_id());
    char name[16] = {};
    pthread_getname_np(pthread_self(), name, sizeof(name));
    thread_names_.push_back(name);
  }

  // Waits up to 10 s for `count` completions.
  bool Await(std::size_t count) {
    absl::MutexLock lock(&mu_);
    auto arrived = [this, count]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return oks_.size() >= count; };
    return mu_.AwaitWithTimeout(absl::Condition(&arrived), absl::Seconds(10));
  }

  std::vector<bool> oks() {
    absl::MutexLock lock(&mu_);
    return oks_;
  }
  std::vector<std::thread::id> threads() {
    absl::MutexLock lock(&mu_);
    return threads_;
  }
  std::vector<std::string> thread_names() {
    absl::MutexLock lock(&mu_);
    return thread_names_;
  }

 private:
  absl::Mutex mu_;
  std::vector<bool> oks_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread::id> threads_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> thread_names_ ABSL_GUARDED_BY(mu_);
};

TEST(CompletionQueueThreadTest, EachCompletionRunsOnceOnTheQueuesThreadWithItsOk) {
  Recorder fired;
  Recorder cancelled;
  grpc::Alarm soon;
  grpc::Alarm never;
  CompletionQueueThread completions("test-queue");
  soon.Set(completions.cq(), std::chrono::system_clock::now() + std::chrono::milliseconds(5),
           &fired);
  never.Set(completions.cq(), std::chrono::system_clock::now() + std::chrono::hours(1), &cancelled);
  never.Cancel();
  ASSERT_TRUE(fired.Await(1));
  ASSERT_TRUE(cancelled.Await(1));
  EXPECT_EQ(fired.oks(), std::vector<bool>{true});
  EXPECT_EQ(cancelled.oks(), std::vector<bool>{false});
  EXPECT_NE(fired.threads()[0], std::this_thread::get_id());
  EXPECT_EQ(fired.threads()[0], cancelled.threads()[0]);
  EXPECT_EQ(fired.thread_names(), std::vector<std::string>{"test-queue"});
}

TEST(CompletionQueueThreadTest, DestructionHandlesTheCompletionsStillOutstanding) {
  Recorder fired;
  grpc::Alarm alarm;  // outlives the queue
  auto completions = std::make_unique<CompletionQueueThread>("test-queue");
  alarm.Set(completions->cq(), std::chrono::system_clock::now() + std::chrono::milliseconds(100),
            &fired);
  completions.reset();  // returns only after the alarm's completion was handled
  EXPECT_EQ(fired.oks(), std::vector<bool>{true});
}

}  // namespace
}  // namespace wecom_notify
