#include "libs/common/thread_priority.h"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <thread>

#include "gtest/gtest.h"

namespace wecom_notify {
namespace {

int NiceOf(pid_t thread) { return getpriority(PRIO_PROCESS, static_cast<id_t>(thread)); }

TEST(ThreadPriorityTest, LowersTheCallingThreadOnly) {
  const pid_t main_thread = gettid();
  const int before = NiceOf(main_thread);
  int lowered = 0;
  int again = 0;
  std::thread bulk([&] {
    LowerCurrentThreadPriority();
    lowered = NiceOf(gettid());
    LowerCurrentThreadPriority();  // already low: stays as it is
    again = NiceOf(gettid());
  });
  bulk.join();
  EXPECT_EQ(lowered, std::max(before, kBulkWorkNice));
  EXPECT_EQ(again, lowered);
  EXPECT_EQ(NiceOf(main_thread), before);
}

TEST(ThreadPriorityTest, ABulkWorkThreadIsNamedAndLowered) {
  const int bulk = std::max(NiceOf(gettid()), kBulkWorkNice);
  std::string name;
  int nice = 0;
  std::thread worker([&] {
    BecomeBulkWorkThread("bulk-test");
    char buffer[16] = {};
    pthread_getname_np(pthread_self(), buffer, sizeof(buffer));
    name = buffer;
    nice = NiceOf(gettid());
  });
  worker.join();
  EXPECT_EQ(name, "bulk-test");
  EXPECT_EQ(nice, bulk);
}

}  // namespace
}  // namespace wecom_notify
