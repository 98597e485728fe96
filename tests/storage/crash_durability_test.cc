// File: tests/storage/crash_durability_test.cc
//
// An acknowledged write survives SIGKILL. A child process writes batches in a loop and reports
// each batch acknowledged as durable through a pipe; the parent kills it mid-loop, reopens the
// database and checks that every reported batch is there, whole, and that no batch is there in
// part.

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "libs/alert/alert.h"
#include "libs/storage/group_committer.h"
#include "libs/storage/sqlite_state_store.h"
#include "tests/storage/storage_test_util.h"
#include "tests/testing/testing.h"

namespace wecom_notify::storage {
namespace {

using ::wecom_notify::storage::testing::MakeAlert;
using ::wecom_notify::storage::testing::SameAlert;

constexpr int kAlertsPerBatch = 10;
constexpr uint32_t kMaxBatchesPerWriter = 200'000;  // bounds the child if the kill never comes
constexpr std::size_t kKillAfterAcks = 300;
// Batch ids >= kFailure report a failure in the child.
constexpr uint32_t kFailure = 0xffff0000;

std::vector<alert::Alert> MakeBatch(uint32_t batch) {
  std::vector<alert::Alert> alerts;
  for (int i = 0; i < kAlertsPerBatch; ++i) {
    alert::Alert alert = MakeAlert(absl::StrCat(batch, "/", i));
    alert.annotations.Set("batch", absl::StrCat(batch));
    alerts.push_back(std::move(alert));
  }
  return alerts;
}

void Report(int fd, uint32_t value) {
  // 4 bytes < PIPE_BUF: each report is written whole, even from several threads.
  if (write(fd, &value, sizeof value) != sizeof value) _exit(10);
}

// The child: writes batches directly with PutAlerts, reporting each after it returned OK.
[[noreturn]] void WriteDirectly(const std::string& dir, int fd) {
  absl::StatusOr<std::unique_ptr<SqliteStateStore>> store = SqliteStateStore::Open(dir);
  if (!store.ok()) {
    Report(fd, kFailure);
    _exit(2);
  }
  for (uint32_t batch = 0; batch < kMaxBatchesPerWriter; ++batch) {
    if (!(*store)->PutAlerts(MakeBatch(batch)).ok()) {
      Report(fd, kFailure + 1);
      _exit(3);
    }
    Report(fd, batch);
  }
  _exit(0);
}

// The child: several threads submit batches through a GroupCommitter and report each from
// its done callback.
[[noreturn]] void WriteThroughGroupCommitter(const std::string& dir, int fd) {
  absl::StatusOr<std::unique_ptr<SqliteStateStore>> store = SqliteStateStore::Open(dir);
  if (!store.ok()) {
    Report(fd, kFailure);
    _exit(2);
  }
  GroupCommitter committer(**store);
  constexpr uint32_t kThreads = 8;
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&committer, fd, t] {
      for (uint32_t i = 0; i < kMaxBatchesPerWriter / kThreads; ++i) {
        const uint32_t batch = i * kThreads + t;
        absl::Notification written;
        committer.Submit(MakeBatch(batch), [&written, fd, batch](absl::Status status) {
          Report(fd, status.ok() ? batch : kFailure + 1);
          written.Notify();
        });
        written.WaitForNotification();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  _exit(0);
}

void ExpectAcknowledgedBatchesSurviveSigkill(void (*child)(const std::string&, int)) {
  const std::string dir = wecom_notify::testing::MakeTempDir("storage-crash");
  {
    // Create the schema first, so the child is killed while writing alerts, not schema.
    ASSERT_TRUE(SqliteStateStore::Open(dir).ok());
  }
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    child(dir, fds[1]);
  }
  close(fds[1]);

  std::vector<uint32_t> acked;
  std::random_device random;
  bool killed = false;
  uint32_t value = 0;
  std::size_t have = 0;  // bytes of `value` read so far
  for (;;) {
    const ssize_t n = read(fds[0], reinterpret_cast<char*>(&value) + have, sizeof value - have);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the child is gone and every report is read
    have += static_cast<std::size_t>(n);
    if (have < sizeof value) continue;
    have = 0;
    if (value >= kFailure) {
      kill(pid, SIGKILL);
      ADD_FAILURE() << "the child failed to write (report " << value - kFailure << ")";
      continue;
    }
    acked.push_back(value);
    if (!killed && acked.size() == kKillAfterAcks) {
      // A random pause, so the kill is not in step with the child's loop (right after an
      // acknowledgement) but lands anywhere in it, mid-transaction included. The child keeps
      // reporting into the pipe meanwhile.
      absl::SleepFor(absl::Microseconds(std::uniform_int_distribution<int>(0, 3000)(random)));
      ASSERT_EQ(kill(pid, SIGKILL), 0);
      killed = true;
    }
  }
  close(fds[0]);
  int wait_status = 0;
  ASSERT_EQ(waitpid(pid, &wait_status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == SIGKILL)
      << "the child ended before it was killed; wait status " << wait_status;
  ASSERT_GE(acked.size(), kKillAfterAcks);

  absl::StatusOr<std::unique_ptr<SqliteStateStore>> store = SqliteStateStore::Open(dir);
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<std::vector<alert::Alert>> loaded = (*store)->LoadAlerts();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  absl::flat_hash_map<uint64_t, const alert::Alert*> by_fingerprint;
  absl::flat_hash_map<std::string, int> alerts_per_batch;
  for (const alert::Alert& alert : *loaded) {
    by_fingerprint[alert.fingerprint] = &alert;
    const std::optional<absl::string_view> batch = alert.annotations.Get("batch");
    ASSERT_TRUE(batch.has_value());
    ++alerts_per_batch[std::string(*batch)];
  }
  // Whole batches only: a transaction cut by the kill left nothing behind.
  for (const auto& [batch, count] : alerts_per_batch) {
    EXPECT_EQ(count, kAlertsPerBatch) << "batch " << batch << " stored in part";
  }
  std::size_t missing = 0;
  for (uint32_t batch : acked) {
    for (const alert::Alert& expected : MakeBatch(batch)) {
      auto it = by_fingerprint.find(expected.fingerprint);
      if (it == by_fingerprint.end()) {
        ++missing;
        continue;
      }
      EXPECT_TRUE(SameAlert(*it->second, expected));
    }
  }
  EXPECT_EQ(missing, 0u) << "acknowledged alerts lost of " << acked.size() * kAlertsPerBatch;
  // The kill came mid-loop: the store holds the acknowledged batches and at most the batches
  // in flight (up to one per writer thread) beyond them.
  EXPECT_LE(alerts_per_batch.size(), acked.size() + 8);
  std::printf("acknowledged %zu batches before SIGKILL; %zu batches found after reopening\n",
              acked.size(), alerts_per_batch.size());
}

TEST(CrashDurabilityTest, AcknowledgedPutAlertsSurviveSigkill) {
  ExpectAcknowledgedBatchesSurviveSigkill(WriteDirectly);
}

TEST(CrashDurabilityTest, AcknowledgedGroupCommitsSurviveSigkill) {
  ExpectAcknowledgedBatchesSurviveSigkill(WriteThroughGroupCommitter);
}

}  // namespace
}  // namespace wecom_notify::storage
