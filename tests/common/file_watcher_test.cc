// FileWatcher in simulated time, with the file reading injected: polls on the interval only,
// acts on a content change once, never retries the same rejected content, picks up a fix (also
// a return to the running content), survives an unreadable file, and ReadWholeFile follows a
// Kubernetes-style symlink swap.

#include "libs/common/file_watcher.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "absl/status/status.h"
#include "libs/common/clock.h"
#include "tests/testing/testing.h"

namespace wecom_notify {
namespace {

using Outcome = FileWatcher::Outcome;

class FileWatcherTest : public ::testing::Test {
 protected:
  FileWatcherTest()
      : watcher_(
            clock_, absl::Seconds(10), "notifyd.yml", "good-1",
            [this]() -> absl::StatusOr<std::string> {
              ++reads_;
              if (!readable_) return absl::NotFoundError("gone");
              return content_;
            },
            [this] {
              applied_.push_back(content_);
              return content_.rfind("bad", 0) == 0 ? absl::InvalidArgumentError("bad config")
                                                   : absl::OkStatus();
            }) {}

  // Advances one interval and ticks.
  Outcome Next() {
    clock_.Advance(absl::Seconds(10));
    return watcher_.Tick();
  }

  SimulatedClock clock_;
  std::string content_ = "good-1";
  bool readable_ = true;
  int reads_ = 0;
  std::vector<std::string> applied_;
  FileWatcher watcher_;
};

TEST_F(FileWatcherTest, PollsOnlyEveryInterval) {
  EXPECT_EQ(watcher_.Tick(), Outcome::kNotDue);
  clock_.Advance(absl::Seconds(9));
  EXPECT_EQ(watcher_.Tick(), Outcome::kNotDue);
  EXPECT_EQ(reads_, 0);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(watcher_.Tick(), Outcome::kUnchanged);
  EXPECT_EQ(reads_, 1);
  EXPECT_EQ(watcher_.Tick(), Outcome::kNotDue);
  EXPECT_EQ(watcher_.next_poll(), clock_.Now() + absl::Seconds(10));
  EXPECT_EQ(reads_, 1);
  EXPECT_TRUE(applied_.empty());
}

TEST_F(FileWatcherTest, ActsOnAChangeOnce) {
  content_ = "good-2";
  EXPECT_EQ(Next(), Outcome::kApplied);
  EXPECT_EQ(Next(), Outcome::kUnchanged);
  EXPECT_EQ(Next(), Outcome::kUnchanged);
  EXPECT_EQ(applied_, std::vector<std::string>{"good-2"});
}

TEST_F(FileWatcherTest, BadContentIsNotRetriedButAFixIsPickedUp) {
  content_ = "bad-1";
  EXPECT_EQ(Next(), Outcome::kFailed);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Next(), Outcome::kUnchanged);
  content_ = "bad-2";
  EXPECT_EQ(Next(), Outcome::kFailed);
  content_ = "good-2";
  EXPECT_EQ(Next(), Outcome::kApplied);
  EXPECT_EQ((std::vector<std::string>{"bad-1", "bad-2", "good-2"}), applied_);
}

TEST_F(FileWatcherTest, GoingBackToTheRunningContentAfterARejectionReloadsIt) {
  content_ = "bad-1";
  EXPECT_EQ(Next(), Outcome::kFailed);
  content_ = "good-1";                   // the operator reverted the file
  EXPECT_EQ(Next(), Outcome::kApplied);  // so the reload status turns good again
  EXPECT_EQ(Next(), Outcome::kUnchanged);
}

TEST_F(FileWatcherTest, UnreadableFileIsSkippedAndComparedOnceBack) {
  readable_ = false;
  EXPECT_EQ(Next(), Outcome::kUnreadable);
  EXPECT_EQ(Next(), Outcome::kUnreadable);
  readable_ = true;
  EXPECT_EQ(Next(), Outcome::kUnchanged);  // back with the running content: nothing to do
  readable_ = false;
  EXPECT_EQ(Next(), Outcome::kUnreadable);
  content_ = "good-2";
  readable_ = true;
  EXPECT_EQ(Next(), Outcome::kApplied);
  EXPECT_EQ(applied_, std::vector<std::string>{"good-2"});
}

TEST_F(FileWatcherTest, BackgroundThreadStopsPromptly) {
  // The thread ticks on its own; with the simulated clock standing still nothing is due, and
  // Stop returns without waiting for an interval.
  watcher_.Start();
  const absl::Time start = absl::Now();
  watcher_.Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_EQ(reads_, 0);
}

TEST(ReadWholeFileTest, FollowsASwappedSymlinkedDirectory) {
  // What the kubelet does to a ConfigMap volume: notifyd.yml -> ..data/notifyd.yml, and
  // ..data -> ..<timestamp>, swapped by renaming a new ..data link over the old one.
  const std::string dir = testing::MakeTempDir("file-watcher");
  ASSERT_EQ(mkdir((dir + "/..v1").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((dir + "/..v2").c_str(), 0755), 0);
  testing::WriteFile(dir + "/..v1/notifyd.yml", "one");
  testing::WriteFile(dir + "/..v2/notifyd.yml", "two");
  ASSERT_EQ(symlink("..v1", (dir + "/..data").c_str()), 0);
  ASSERT_EQ(symlink("..data/notifyd.yml", (dir + "/notifyd.yml").c_str()), 0);
  EXPECT_EQ(*ReadWholeFile(dir + "/notifyd.yml"), "one");
  ASSERT_EQ(symlink("..v2", (dir + "/..data_tmp").c_str()), 0);
  ASSERT_EQ(std::rename((dir + "/..data_tmp").c_str(), (dir + "/..data").c_str()), 0);
  EXPECT_EQ(*ReadWholeFile(dir + "/notifyd.yml"), "two");
  EXPECT_EQ(ReadWholeFile(dir + "/missing.yml").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace wecom_notify
