// File: tests/storage/wal_checkpointer_test.cc

#include "libs/storage/wal_checkpointer.h"

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "libs/storage/sqlite_state_store.h"
#include "tests/storage/storage_test_util.h"
#include "tests/testing/testing.h"

namespace wecom_notify::storage {
namespace {

using ::wecom_notify::storage::testing::MakeAlert;

// Enough rows for well over 1000 WAL pages, SQLite's automatic checkpoint threshold.
constexpr int kAlerts = 20'000;

std::vector<alert::Alert> MakeAlerts(int first, int count) {
  std::vector<alert::Alert> alerts;
  alerts.reserve(count);
  for (int i = first; i < first + count; ++i) alerts.push_back(MakeAlert(absl::StrCat("wal-", i)));
  return alerts;
}

// kAlerts alerts in transactions of 250 (a few dozen WAL frames each).
void PutInSmallTransactions(SqliteStateStore& store) {
  for (int first = 0; first < kAlerts; first += 250) {
    ASSERT_TRUE(store.PutAlerts(MakeAlerts(first, 250)).ok());
  }
}

std::uintmax_t WalBytes(const std::string& db_path) {
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(db_path + "-wal", error);
  return error ? 0 : size;
}

class WalCheckpointerTest : public ::testing::Test {
 protected:
  // A store whose WAL only a CheckpointNow() call checkpoints.
  std::unique_ptr<SqliteStateStore> OpenStore(absl::Duration checkpoint_interval) {
    SqliteStateStore::Options options;
    options.checkpoint_interval = checkpoint_interval;
    auto store = SqliteStateStore::Open(dir_, options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  const std::string dir_ = wecom_notify::testing::MakeTempDir("wal-checkpointer");
};

TEST_F(WalCheckpointerTest, CommitsNeverCheckpointAndCheckpointNowCopiesTheWholeWal) {
  std::unique_ptr<SqliteStateStore> store = OpenStore(absl::InfiniteDuration());
  ASSERT_NE(store, nullptr);
  ASSERT_NE(store->checkpointer(), nullptr);
  PutInSmallTransactions(*store);

  ASSERT_TRUE(store->checkpointer()->CheckpointNow().ok());
  const WalCheckpointer::Stats stats = store->checkpointer()->GetStats();
  // Had a commit checkpointed, the WAL would have restarted and hold fewer than 1000 frames.
  EXPECT_GT(stats.last_wal_frames, 1000);
  // Nothing else writes: a passive checkpoint copies every frame.
  EXPECT_EQ(stats.last_checkpointed_frames, stats.last_wal_frames);
  EXPECT_EQ(stats.checkpoints, 1u);
  EXPECT_EQ(stats.restarts, 0u);
  EXPECT_EQ(stats.failures, 0u);
}

TEST_F(WalCheckpointerTest, ALongWalIsRestartedFromItsBeginning) {
  std::unique_ptr<SqliteStateStore> store = OpenStore(absl::InfiniteDuration());
  ASSERT_NE(store, nullptr);
  PutInSmallTransactions(*store);
  const std::uintmax_t wal_bytes = WalBytes(store->path());
  ASSERT_GT(wal_bytes, 1u << 20);

  WalCheckpointer::Options options;
  options.interval = absl::InfiniteDuration();
  options.restart_at_frames = 1000;
  auto checkpointer = WalCheckpointer::Start(store->path(), options);
  ASSERT_TRUE(checkpointer.ok()) << checkpointer.status();
  ASSERT_TRUE((*checkpointer)->CheckpointNow().ok());
  EXPECT_EQ((*checkpointer)->GetStats().restarts, 1u);

  // The next write starts at the beginning of the file, which keeps its size.
  ASSERT_TRUE(store->PutAlerts({MakeAlert("after")}).ok());
  ASSERT_TRUE((*checkpointer)->CheckpointNow().ok());
  EXPECT_LT((*checkpointer)->GetStats().last_wal_frames, 100);
  EXPECT_EQ((*checkpointer)->GetStats().restarts, 1u);
  EXPECT_EQ(WalBytes(store->path()), wal_bytes);

  // Everything went to the database file.
  store.reset();
  store = OpenStore(absl::InfiniteDuration());
  ASSERT_NE(store, nullptr);
  auto loaded = store->LoadAlerts();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->size(), static_cast<std::size_t>(kAlerts) + 1);
}

TEST_F(WalCheckpointerTest, TheThreadCheckpointsAtItsInterval) {
  std::unique_ptr<SqliteStateStore> store = OpenStore(absl::Milliseconds(5));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->PutAlerts(MakeAlerts(0, 100)).ok());
  // Bounded wait for the thread; no claim about how soon it runs.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (store->checkpointer()->GetStats().last_checkpointed_frames == 0 &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_GT(store->checkpointer()->GetStats().last_checkpointed_frames, 0);
  EXPECT_EQ(store->checkpointer()->GetStats().failures, 0u);
}

TEST_F(WalCheckpointerTest, ZeroIntervalLeavesCheckpointsToSqlite) {
  std::unique_ptr<SqliteStateStore> store = OpenStore(absl::ZeroDuration());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->checkpointer(), nullptr);
  PutInSmallTransactions(*store);

  WalCheckpointer::Options options;
  options.interval = absl::InfiniteDuration();
  auto checkpointer = WalCheckpointer::Start(store->path(), options);
  ASSERT_TRUE(checkpointer.ok()) << checkpointer.status();
  ASSERT_TRUE((*checkpointer)->CheckpointNow().ok());
  // SQLite's automatic checkpoints restarted the WAL along the way: it never holds much more
  // than 1000 frames plus one transaction's.
  EXPECT_GT((*checkpointer)->GetStats().last_wal_frames, 0);
  EXPECT_LT((*checkpointer)->GetStats().last_wal_frames, 1100);
}

TEST_F(WalCheckpointerTest, StartFailsOnAMissingDatabase) {
  auto checkpointer = WalCheckpointer::Start(dir_ + "/missing.db", {});
  ASSERT_FALSE(checkpointer.ok());
  EXPECT_EQ(checkpointer.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(checkpointer.status().message().find("missing.db"), absl::string_view::npos);
}

TEST_F(WalCheckpointerTest, StartRefusesADatabaseNotInWalMode) {
  const std::string path = dir_ + "/rollback.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE t (x)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto checkpointer = WalCheckpointer::Start(path, {});
  ASSERT_FALSE(checkpointer.ok());
  EXPECT_EQ(checkpointer.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(checkpointer.status().message().find("not in WAL mode"), absl::string_view::npos);
}

}  // namespace
}  // namespace wecom_notify::storage
