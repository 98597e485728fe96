// File: tests/storage/sqlite_state_store_test.cc

#include "libs/storage/sqlite_state_store.h"

#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/alert/alert.h"
#include "libs/alert/fingerprint.h"
#include "libs/nflog/notification_log.h"
#include "libs/storage/codec.h"
#include "tests/storage/storage_test_util.h"
#include "tests/testing/testing.h"

namespace wecom_notify::storage {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::wecom_notify::storage::testing::ExpectSameAlerts;
using ::wecom_notify::storage::testing::MakeAlert;

const absl::Time kNow = absl::FromUnixSeconds(1'764'046'800);

// Runs SQL on the database file behind the store's back, the way damage or an older or newer
// notifyd would.
void RawSql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  const int code = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(code, SQLITE_OK) << sql << ": " << message;
}

// The number of rows in `table`, read behind the store's back.
int64_t CountRows(const std::string& path, const std::string& table) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  int64_t rows = -1;
  if (sqlite3_prepare_v2(db, absl::StrCat("SELECT count(*) FROM ", table).c_str(), -1, &stmt,
                         nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    rows = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return rows;
}

std::vector<alert::Alert> MakeAlerts(const std::string& prefix, int count) {
  std::vector<alert::Alert> alerts;
  for (int i = 0; i < count; ++i) alerts.push_back(MakeAlert(absl::StrCat(prefix, i)));
  return alerts;
}

nflog::Entry MakeEntry(const std::string& group, absl::Time timestamp, absl::Time expires_at) {
  nflog::Entry entry;
  entry.key = {absl::StrCat("{}:{alertname=\"", group, "\"}"), "运维组", "wecom_app/0"};
  entry.timestamp = timestamp;
  entry.expires_at = expires_at;
  entry.firing = {1, 0x3e3095adf7ad569a, 0xffffffffffffffff};
  entry.resolved = {0xc2858fd1aa15668d};
  return entry;
}

void ExpectSameEntry(const nflog::Entry& actual, const nflog::Entry& expected) {
  EXPECT_EQ(actual.key.group_key, expected.key.group_key);
  EXPECT_EQ(actual.key.receiver, expected.key.receiver);
  EXPECT_EQ(actual.key.integration, expected.key.integration);
  EXPECT_EQ(actual.timestamp, expected.timestamp);
  EXPECT_EQ(actual.expires_at, expected.expires_at);
  EXPECT_EQ(actual.firing, expected.firing);
  EXPECT_EQ(actual.resolved, expected.resolved);
}

class SqliteStateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = wecom_notify::testing::MakeTempDir("storage");
    Reopen();
  }

  void Reopen(SqliteStateStore::Options options = {}) {
    store_.reset();
    absl::StatusOr<std::unique_ptr<SqliteStateStore>> store = SqliteStateStore::Open(dir_, options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  // Reopens with Compact() due at `garbage_rows` superseded rows, `chunk_rows` rows per call.
  void ReopenCompactingAt(std::size_t garbage_rows, std::size_t chunk_rows) {
    SqliteStateStore::Options options;
    options.compact_at_garbage_rows = garbage_rows;
    options.compact_chunk_rows = chunk_rows;
    Reopen(options);
  }

  std::string DbPath() const { return absl::StrCat(dir_, "/notifyd.db"); }

  // Reopens the store with `busy_timeout`, then takes the database's write lock on a second
  // connection, as another writer would; ReleaseWriteLock gives it back.
  sqlite3* HoldWriteLockAgainst(absl::Duration busy_timeout) {
    SqliteStateStore::Options options;
    options.busy_timeout = busy_timeout;
    Reopen(options);
    sqlite3* other = nullptr;
    EXPECT_EQ(sqlite3_open(DbPath().c_str(), &other), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
    return other;
  }
  static void ReleaseWriteLock(sqlite3* other) {
    EXPECT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(other);
  }

  std::vector<alert::Alert> Load() {
    absl::StatusOr<std::vector<alert::Alert>> alerts = store_->LoadAlerts();
    EXPECT_TRUE(alerts.ok()) << alerts.status();
    return alerts.ok() ? *std::move(alerts) : std::vector<alert::Alert>{};
  }

  std::string dir_;
  std::unique_ptr<SqliteStateStore> store_;
};

TEST_F(SqliteStateStoreTest, CreatesDatabaseFileInDirectory) {
  EXPECT_EQ(store_->path(), DbPath());
  EXPECT_FALSE(wecom_notify::testing::ReadFile(DbPath()).empty());
}

TEST_F(SqliteStateStoreTest, CreatesMissingDirectories) {
  const std::string nested = absl::StrCat(dir_, "/a/b/c");
  absl::StatusOr<std::unique_ptr<SqliteStateStore>> store = SqliteStateStore::Open(nested);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->path(), absl::StrCat(nested, "/notifyd.db"));
}

TEST_F(SqliteStateStoreTest, EmptyStoreLoadsNothing) {
  EXPECT_THAT(Load(), SizeIs(0));
  absl::StatusOr<std::vector<nflog::Entry>> entries = store_->LoadNotificationLog(kNow);
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_THAT(*entries, SizeIs(0));
}

TEST_F(SqliteStateStoreTest, RoundTripsAlertsWithChineseTextAndEveryTimeState) {
  std::vector<alert::Alert> alerts;
  alert::Alert firing = MakeAlert("firing");  // ends_at unset
  alerts.push_back(firing);
  alert::Alert resolved = MakeAlert("resolved");
  resolved.ends_at = absl::FromUnixNanos(1'764'046'766'576'493'259);
  alerts.push_back(resolved);
  alert::Alert timeout = MakeAlert("timeout");
  timeout.ends_at = kNow + absl::Minutes(5);
  timeout.ends_at_from_timeout = true;
  alerts.push_back(timeout);
  alert::Alert infinite = MakeAlert("infinite");
  infinite.starts_at = absl::InfinitePast();
  infinite.ends_at = absl::InfiniteFuture();
  infinite.updated_at = absl::InfinitePast();
  alerts.push_back(infinite);
  alert::Alert before_epoch = MakeAlert("before-epoch");
  before_epoch.starts_at = absl::FromUnixNanos(-1'234'567'890'123);
  alerts.push_back(before_epoch);
  alert::Alert bare;  // no labels, no annotations, no URL, every time unset
  bare.fingerprint = alert::Fingerprint(bare.labels);
  alerts.push_back(bare);
  alert::Alert binary = MakeAlert("binary");
  binary.annotations = alert::LabelSet({{"nul", std::string("a\0b", 3)}, {"sep", "x\x1fy"}});
  binary.generator_url = "http://例子.测试/图?q=磁盘";
  alerts.push_back(binary);
  alert::Alert high_bit = MakeAlert("high-bit");
  high_bit.fingerprint = 0xfedcba9876543210;  // negative as int64
  alerts.push_back(high_bit);

  ASSERT_TRUE(store_->PutAlerts(alerts).ok());
  ExpectSameAlerts(Load(), alerts);
}

TEST_F(SqliteStateStoreTest, PutReplacesByFingerprint) {
  alert::Alert alert = MakeAlert("x");
  ASSERT_TRUE(store_->PutAlerts({alert}).ok());
  alert.ends_at = kNow;
  alert.annotations = alert::LabelSet({{"summary", "已恢复"}});
  ASSERT_TRUE(store_->PutAlerts({alert}).ok());
  ExpectSameAlerts(Load(), {alert});
}

TEST_F(SqliteStateStoreTest, DeletesAlertsByFingerprint) {
  const alert::Alert a = MakeAlert("a"), b = MakeAlert("b"), c = MakeAlert("c");
  ASSERT_TRUE(store_->PutAlerts({a, b, c}).ok());
  ASSERT_TRUE(store_->DeleteAlerts({a.fingerprint, c.fingerprint, 12345}).ok());
  ExpectSameAlerts(Load(), {b});
}

TEST_F(SqliteStateStoreTest, EmptyBatchesAreOk) {
  EXPECT_TRUE(store_->PutAlerts({}).ok());
  EXPECT_TRUE(store_->DeleteAlerts({}).ok());
  EXPECT_TRUE(store_->PutNotificationLog({}).ok());
}

TEST_F(SqliteStateStoreTest, ReopenKeepsEverything) {
  const alert::Alert a = MakeAlert("a"), b = MakeAlert("b");
  ASSERT_TRUE(store_->PutAlerts({a, b}).ok());
  const nflog::Entry entry = MakeEntry("A", kNow, kNow + absl::Hours(2));
  ASSERT_TRUE(store_->PutNotificationLog({entry}).ok());
  Reopen();
  ExpectSameAlerts(Load(), {a, b});
  absl::StatusOr<std::vector<nflog::Entry>> entries = store_->LoadNotificationLog(kNow);
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_THAT(*entries, SizeIs(1));
  ExpectSameEntry((*entries)[0], entry);
}

TEST_F(SqliteStateStoreTest, FullSynchronousModeWorks) {
  SqliteStateStore::Options options;
  options.synchronous = SqliteStateStore::Synchronous::kFull;
  Reopen(options);
  const alert::Alert a = MakeAlert("a");
  ASSERT_TRUE(store_->PutAlerts({a}).ok());
  Reopen();
  ExpectSameAlerts(Load(), {a});
}

TEST_F(SqliteStateStoreTest, EveryWriteAppendsAndLoadSeesOnlyCurrentVersions) {
  alert::Alert a = MakeAlert("a");
  const alert::Alert b = MakeAlert("b");
  ASSERT_TRUE(store_->PutAlerts({a, b}).ok());
  a.annotations = alert::LabelSet({{"summary", "第二版"}});
  ASSERT_TRUE(store_->PutAlerts({a}).ok());
  ASSERT_TRUE(store_->DeleteAlerts({b.fingerprint}).ok());
  // Two versions of a, b and b's removal.
  EXPECT_EQ(CountRows(DbPath(), "alert_log"), 4);
  ExpectSameAlerts(Load(), {a});
  Reopen();
  ExpectSameAlerts(Load(), {a});
  // b comes back when written again after its removal.
  ASSERT_TRUE(store_->PutAlerts({b}).ok());
  Reopen();
  ExpectSameAlerts(Load(), {a, b});
}

TEST_F(SqliteStateStoreTest, CompactReclaimsSupersededRowsAndKeepsCurrentVersions) {
  ReopenCompactingAt(3, 4);
  std::vector<alert::Alert> current = MakeAlerts("keep-", 4);
  const alert::Alert gone = MakeAlert("gone");
  ASSERT_TRUE(store_->PutAlerts({current[0], current[1], gone, current[2]}).ok());
  ASSERT_TRUE(store_->PutAlerts({current[3]}).ok());
  // Too little garbage yet: nothing happens.
  ASSERT_TRUE(store_->Compact().ok());
  EXPECT_EQ(CountRows(DbPath(), "alert_log"), 5);

  current[1].annotations = alert::LabelSet({{"summary", "更新"}});
  current[2].ends_at = kNow;
  ASSERT_TRUE(store_->PutAlerts({current[1], current[2]}).ok());
  ASSERT_TRUE(store_->DeleteAlerts({gone.fingerprint}).ok());
  // 8 rows, 4 current: rows 1-4 are the chunk; of them only current[0]'s is current.
  ASSERT_TRUE(store_->Compact().ok());
  EXPECT_EQ(CountRows(DbPath(), "alert_log"), 5);
  ExpectSameAlerts(Load(), current);
  // Garbage (the removal of `gone`, 1 row) is below the threshold again.
  ASSERT_TRUE(store_->Compact().ok());
  EXPECT_EQ(CountRows(DbPath(), "alert_log"), 5);
  ReopenCompactingAt(3, 4);
  ExpectSameAlerts(Load(), current);
}

TEST_F(SqliteStateStoreTest, PruneNeverBringsBackAnOlderVersion) {
  alert::Alert a = MakeAlert("a");
  ASSERT_TRUE(store_->PutAlerts({a}).ok());  // firing
  a.ends_at = kNow - absl::Hours(1);
  ASSERT_TRUE(store_->PutAlerts({a}).ok());  // resolved
  ASSERT_TRUE(store_->Prune(kNow, kNow, {a.fingerprint}).ok());
  EXPECT_THAT(Load(), SizeIs(0));
  Reopen();
  EXPECT_THAT(Load(), SizeIs(0));
}

// Prune's candidates come from memory, collected a moment before: one stored again since (a
// re-fire) is kept, and a resolved alert that is not a candidate is left for a later Prune.
TEST_F(SqliteStateStoreTest, PruneChecksEachCandidateAgainstItsStoredVersion) {
  alert::Alert refired = MakeAlert("refired");
  refired.ends_at = kNow - absl::Hours(2);
  alert::Alert not_named = MakeAlert("not-named");
  not_named.ends_at = kNow - absl::Hours(2);
  ASSERT_TRUE(store_->PutAlerts({refired, not_named}).ok());
  refired.ends_at = absl::InfinitePast();  // firing again
  ASSERT_TRUE(store_->PutAlerts({refired}).ok());

  ASSERT_TRUE(store_->Prune(kNow, kNow - absl::Hours(1), {refired.fingerprint}).ok());
  ExpectSameAlerts(Load(), {refired, not_named});
  ASSERT_TRUE(store_->Prune(kNow, kNow - absl::Hours(1), {not_named.fingerprint}).ok());
  ExpectSameAlerts(Load(), {refired});
  Reopen();
  ExpectSameAlerts(Load(), {refired});
}

// More candidates than one chunk: every chunk is checked and pruned, the firing alerts among
// them in any chunk are kept.
TEST_F(SqliteStateStoreTest, PruneWorksThroughCandidatesBeyondOneChunk) {
  const std::size_t count = 2 * SqliteStateStore::kPruneChunk + 500;
  std::vector<alert::Alert> alerts = MakeAlerts("many-", static_cast<int>(count));
  std::vector<uint64_t> candidates;
  std::vector<alert::Alert> kept;
  for (std::size_t i = 0; i < alerts.size(); ++i) {
    if (i % 700 == 0) {
      kept.push_back(alerts[i]);  // firing (ends_at unset), yet named
    } else {
      alerts[i].ends_at = kNow - absl::Hours(2);
    }
    candidates.push_back(alerts[i].fingerprint);
  }
  ASSERT_TRUE(store_->PutAlerts(alerts).ok());
  ASSERT_TRUE(store_->Prune(kNow, kNow - absl::Hours(1), candidates).ok());
  ExpectSameAlerts(Load(), kept);
  Reopen();
  ExpectSameAlerts(Load(), kept);
}

TEST_F(SqliteStateStoreTest, CompactOfALogOfCurrentVersionsOnlyDoesNothing) {
  ReopenCompactingAt(1, 2);
  ASSERT_TRUE(store_->PutAlerts(MakeAlerts("new-", 10)).ok());
  ASSERT_TRUE(store_->Compact().ok());
  EXPECT_EQ(CountRows(DbPath(), "alert_log"), 10);
}

TEST_F(SqliteStateStoreTest, UpgradesAVersion1Database) {
  store_.reset();
  const alert::Alert a = MakeAlert("from-version-1");
  std::string labels, annotations;
  AppendLabelSet(a.labels, &labels);
  AppendLabelSet(a.annotations, &annotations);
  const std::string dir = wecom_notify::testing::MakeTempDir("storage-v1");
  const std::string path = absl::StrCat(dir, "/notifyd.db");
  RawSql(path, absl::StrCat(
                   "CREATE TABLE alerts (fingerprint INTEGER PRIMARY KEY, labels BLOB NOT NULL, "
                   "annotations BLOB NOT NULL, starts_at INTEGER NOT NULL, ends_at INTEGER NOT "
                   "NULL, updated_at INTEGER NOT NULL, generator_url TEXT NOT NULL, "
                   "ends_at_from_timeout INTEGER NOT NULL) STRICT;"
                   "CREATE TABLE nflog (key TEXT PRIMARY KEY, group_key TEXT NOT NULL, receiver "
                   "TEXT NOT NULL, integration TEXT NOT NULL, timestamp INTEGER NOT NULL, "
                   "expires_at INTEGER NOT NULL, firing BLOB NOT NULL, resolved BLOB NOT NULL) "
                   "STRICT, WITHOUT ROWID;"
                   "INSERT INTO alerts VALUES (",
                   static_cast<int64_t>(a.fingerprint), ", x'", absl::BytesToHexString(labels),
                   "', x'", absl::BytesToHexString(annotations), "', ", EncodeTime(a.starts_at),
                   ", ", EncodeTime(a.ends_at), ", ", EncodeTime(a.updated_at), ", '",
                   a.generator_url.view(), "', 0);"
                   "PRAGMA user_version = 1;"));
  absl::StatusOr<std::unique_ptr<SqliteStateStore>> store = SqliteStateStore::Open(dir);
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<std::vector<alert::Alert>> alerts = (*store)->LoadAlerts();
  ASSERT_TRUE(alerts.ok()) << alerts.status();
  ExpectSameAlerts(*alerts, {a});
  EXPECT_EQ(CountRows(path, "alert_log"), 1);
  EXPECT_EQ(CountRows(path, "alerts"), -1);  // the old table is gone
}

TEST_F(SqliteStateStoreTest, NotificationLogRoundTripAndExpiry) {
  const nflog::Entry live = MakeEntry("live", kNow - absl::Hours(1), kNow + absl::Seconds(1));
  const nflog::Entry expiring = MakeEntry("expiring", kNow - absl::Hours(2), kNow);
  nflog::Entry empty_lists = MakeEntry("empty", kNow, kNow + absl::Hours(2));
  empty_lists.firing.clear();
  empty_lists.resolved.clear();
  ASSERT_TRUE(store_->PutNotificationLog({live, expiring, empty_lists}).ok());

  absl::StatusOr<std::vector<nflog::Entry>> before = store_->LoadNotificationLog(kNow - absl::Nanoseconds(1));
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_THAT(*before, SizeIs(3));

  // expires_at == now is expired, as in NotificationLog::Find.
  absl::StatusOr<std::vector<nflog::Entry>> at_now = store_->LoadNotificationLog(kNow);
  ASSERT_TRUE(at_now.ok()) << at_now.status();
  ASSERT_THAT(*at_now, SizeIs(2));
  std::sort(at_now->begin(), at_now->end(),
            [](const nflog::Entry& a, const nflog::Entry& b) { return a.key.group_key < b.key.group_key; });
  ExpectSameEntry((*at_now)[0], empty_lists);
  ExpectSameEntry((*at_now)[1], live);
}

TEST_F(SqliteStateStoreTest, NotificationLogNeverRollsBack) {
  const nflog::Entry newer = MakeEntry("g", kNow, kNow + absl::Hours(2));
  nflog::Entry older = MakeEntry("g", kNow - absl::Minutes(1), kNow + absl::Hours(3));
  older.firing = {7};
  ASSERT_TRUE(store_->PutNotificationLog({newer}).ok());
  ASSERT_TRUE(store_->PutNotificationLog({older}).ok());
  absl::StatusOr<std::vector<nflog::Entry>> entries = store_->LoadNotificationLog(kNow);
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_THAT(*entries, SizeIs(1));
  ExpectSameEntry((*entries)[0], newer);

  nflog::Entry same_time = newer;  // an equal timestamp replaces, as in Record()
  same_time.resolved = {9};
  nflog::Entry later = MakeEntry("g", kNow + absl::Minutes(1), kNow + absl::Hours(4));
  later.firing = {8};
  ASSERT_TRUE(store_->PutNotificationLog({same_time}).ok());
  entries = store_->LoadNotificationLog(kNow);
  ASSERT_TRUE(entries.ok() && entries->size() == 1u);
  ExpectSameEntry((*entries)[0], same_time);
  ASSERT_TRUE(store_->PutNotificationLog({later}).ok());
  entries = store_->LoadNotificationLog(kNow);
  ASSERT_TRUE(entries.ok() && entries->size() == 1u);
  ExpectSameEntry((*entries)[0], later);
}

TEST_F(SqliteStateStoreTest, KeysDifferingOnlyInReceiverOrIntegrationAreDistinct) {
  nflog::Entry a = MakeEntry("g", kNow, kNow + absl::Hours(1));
  nflog::Entry b = a;
  b.key.receiver = "other";
  nflog::Entry c = a;
  c.key.integration = "wecom_robot/1";
  ASSERT_TRUE(store_->PutNotificationLog({a, b, c}).ok());
  absl::StatusOr<std::vector<nflog::Entry>> entries = store_->LoadNotificationLog(kNow);
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_THAT(*entries, SizeIs(3));
}

TEST_F(SqliteStateStoreTest, CheckWritableCommitsARealWriteAndKeepsTheState) {
  ASSERT_TRUE(store_->PutAlerts({MakeAlert("a")}).ok());
  const std::string wal = absl::StrCat(DbPath(), "-wal");
  const std::size_t wal_before = wecom_notify::testing::ReadFile(wal).size();

  ASSERT_TRUE(store_->CheckWritable().ok());

  // A frame was appended to the WAL: the probe reached the disk, not just the page cache.
  EXPECT_GT(wecom_notify::testing::ReadFile(wal).size(), wal_before);
  EXPECT_THAT(Load(), SizeIs(1));
  Reopen();  // the schema version it rewrote is still this build's
  EXPECT_THAT(Load(), SizeIs(1));
}

TEST_F(SqliteStateStoreTest, CheckWritableFailsWhileAnotherWriterHoldsTheLock) {
  sqlite3* other = HoldWriteLockAgainst(absl::Milliseconds(20));
  const absl::Status locked = store_->CheckWritable();
  EXPECT_EQ(locked.code(), absl::StatusCode::kUnavailable) << locked;
  EXPECT_THAT(std::string(locked.message()), HasSubstr("check writable"));

  ReleaseWriteLock(other);
  EXPECT_TRUE(store_->CheckWritable().ok());
}

TEST_F(SqliteStateStoreTest, PruneRemovesExpiredEntriesAndResolvedAlerts) {
  const absl::Time resolved_before = kNow - absl::Hours(1);
  alert::Alert firing = MakeAlert("firing");  // ends_at unset: never pruned
  alert::Alert future_end = MakeAlert("future");
  future_end.ends_at = kNow + absl::Minutes(5);
  alert::Alert recently_resolved = MakeAlert("recent");
  recently_resolved.ends_at = resolved_before + absl::Nanoseconds(1);
  alert::Alert resolved_at_bound = MakeAlert("at-bound");
  resolved_at_bound.ends_at = resolved_before;
  alert::Alert long_resolved = MakeAlert("long");
  long_resolved.ends_at = resolved_before - absl::Hours(24);
  ASSERT_TRUE(store_->PutAlerts({firing, future_end, recently_resolved, resolved_at_bound,
                                 long_resolved})
                  .ok());
  const nflog::Entry live = MakeEntry("live", kNow, kNow + absl::Nanoseconds(1));
  const nflog::Entry expired = MakeEntry("expired", kNow - absl::Hours(2), kNow);

  ASSERT_TRUE(store_->PutNotificationLog({live, expired}).ok());
  // Every alert a candidate, and one never stored: the store decides by what it holds.
  ASSERT_TRUE(store_
                  ->Prune(kNow, resolved_before,
                          {firing.fingerprint, future_end.fingerprint,
                           recently_resolved.fingerprint, resolved_at_bound.fingerprint,
                           long_resolved.fingerprint, MakeAlert("never-stored").fingerprint})
                  .ok());

  ExpectSameAlerts(Load(), {firing, future_end, recently_resolved});
  // Prune removed the row itself: it is gone even for a reader at an earlier time.
  absl::StatusOr<std::vector<nflog::Entry>> entries =
      store_->LoadNotificationLog(absl::InfinitePast());
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_THAT(*entries, SizeIs(1));
  ExpectSameEntry((*entries)[0], live);
}

TEST_F(SqliteStateStoreTest, CorruptLabelsAreDataLossNamingTheAlert) {
  const alert::Alert a = MakeAlert("a");
  ASSERT_TRUE(store_->PutAlerts({a}).ok());
  RawSql(DbPath(), "UPDATE alert_log SET labels = x'05ff01'");
  absl::StatusOr<std::vector<alert::Alert>> alerts = store_->LoadAlerts();
  EXPECT_EQ(alerts.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(alerts.status().message(), HasSubstr(alert::FingerprintToHex(a.fingerprint)));
  EXPECT_THAT(alerts.status().message(), HasSubstr("labels"));
  // The store still works: replacing the row repairs it.
  ASSERT_TRUE(store_->PutAlerts({a}).ok());
  ExpectSameAlerts(Load(), {a});
}

TEST_F(SqliteStateStoreTest, CorruptAnnotationsAreDataLoss) {
  ASSERT_TRUE(store_->PutAlerts({MakeAlert("a")}).ok());
  RawSql(DbPath(), "UPDATE alert_log SET annotations = x''");
  absl::StatusOr<std::vector<alert::Alert>> alerts = store_->LoadAlerts();
  EXPECT_EQ(alerts.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(alerts.status().message(), HasSubstr("annotations"));
}

// Copies of `alerts` without annotations, as a holder that dropped them passes them in.
std::vector<alert::Alert> WithoutAnnotations(std::vector<alert::Alert> alerts) {
  for (alert::Alert& a : alerts) a.annotations = alert::LabelSet();
  return alerts;
}

TEST_F(SqliteStateStoreTest, ReadAnnotationsServesEachFingerprintsCurrentVersion) {
  EXPECT_TRUE(store_->ServesAnnotations());
  std::vector<alert::Alert> alerts = MakeAlerts("read-", 3);
  ASSERT_TRUE(store_->PutAlerts(alerts).ok());
  alerts[1].annotations = alert::LabelSet({{"summary", "已更新"}});
  ASSERT_TRUE(store_->PutAlerts({alerts[1]}).ok());
  ASSERT_TRUE(store_->DeleteAlerts({alerts[2].fingerprint}).ok());
  alert::Alert never_stored = MakeAlert("never");

  std::vector<alert::Alert> read = WithoutAnnotations(alerts);
  read.push_back(never_stored);  // its own annotations are cleared: none stored
  ASSERT_TRUE(store_->ReadAnnotations(absl::MakeSpan(read)).ok());
  EXPECT_EQ(read[0].annotations, alerts[0].annotations);
  EXPECT_EQ(read[1].annotations, alert::LabelSet({{"summary", "已更新"}}));
  EXPECT_TRUE(read[2].annotations.empty());
  EXPECT_TRUE(read[3].annotations.empty());
  // Nothing else of an alert is touched.
  EXPECT_EQ(read[0].labels, alerts[0].labels);
  EXPECT_EQ(read[0].starts_at, alerts[0].starts_at);
}

TEST_F(SqliteStateStoreTest, ReadAnnotationsWorksThroughMoreThanOneChunkAndAfterCompaction) {
  ReopenCompactingAt(/*garbage_rows=*/1, /*chunk_rows=*/100);
  const int count =
      static_cast<int>(AnnotationReader::kRowsPerTransaction + SqliteStateStore::kLookupChunk) + 50;
  std::vector<alert::Alert> alerts = MakeAlerts("chunked-", count);
  ASSERT_TRUE(store_->PutAlerts(alerts).ok());
  // Every row superseded (half of them with new annotations), then compaction copies the
  // current rows forward: reads follow them.
  for (int i = 0; i < count; i += 2) {
    alerts[i].annotations = alert::LabelSet({{"summary", absl::StrCat("第二版 ", i)}});
  }
  ASSERT_TRUE(store_->PutAlerts(alerts).ok());
  for (int round = 0; round < 10; ++round) ASSERT_TRUE(store_->Compact().ok());
  ASSERT_LT(CountRows(DbPath(), "alert_log"), 2 * count);
  std::vector<alert::Alert> read = WithoutAnnotations(alerts);
  ASSERT_TRUE(store_->ReadAnnotations(absl::MakeSpan(read)).ok());
  for (int i = 0; i < count; ++i) EXPECT_EQ(read[i].annotations, alerts[i].annotations) << i;
}

// Reads run on their own connection while the store writes and compacts: whenever a row moves
// between its lookup and its read, it is looked up and read again, so no read ever answers
// stale or missing annotations for an alert stored throughout.
TEST_F(SqliteStateStoreTest, ReadAnnotationsStaysRightWhileCompactionMovesRows) {
  ReopenCompactingAt(/*garbage_rows=*/1, /*chunk_rows=*/256);
  // Several read transactions per read: later ones start well after the lookups.
  const int count = 3 * static_cast<int>(AnnotationReader::kRowsPerTransaction);
  std::vector<alert::Alert> alerts = MakeAlerts("moving-", count);
  ASSERT_TRUE(store_->PutAlerts(alerts).ok());
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    // Re-puts the same versions (every row superseded) and compacts, 200 rounds at most.
    for (int round = 0; round < 200 && !stop.load(); ++round) {
      ASSERT_TRUE(store_->PutAlerts(alerts).ok());
      for (int c = 0; c < 20; ++c) ASSERT_TRUE(store_->Compact().ok());
    }
  });
  absl::Cleanup join = [&] {
    stop = true;
    writer.join();
  };
  for (int round = 0; round < 50; ++round) {
    std::vector<alert::Alert> read = WithoutAnnotations(alerts);
    const absl::Status status = store_->ReadAnnotations(absl::MakeSpan(read));
    ASSERT_TRUE(status.ok()) << status;
    for (int i = 0; i < count; ++i) ASSERT_EQ(read[i].annotations, alerts[i].annotations) << i;
  }
}

TEST_F(SqliteStateStoreTest, CorruptAnnotationsAreDataLossWhenRead) {
  const alert::Alert a = MakeAlert("a");
  ASSERT_TRUE(store_->PutAlerts({a}).ok());
  RawSql(DbPath(), "UPDATE alert_log SET annotations = x'05ff01'");
  std::vector<alert::Alert> read = WithoutAnnotations({a});
  const absl::Status status = store_->ReadAnnotations(absl::MakeSpan(read));
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr(alert::FingerprintToHex(a.fingerprint)));
  EXPECT_THAT(status.message(), HasSubstr("read annotations"));
}

TEST_F(SqliteStateStoreTest, CorruptFingerprintListIsDataLossNamingTheEntry) {
  ASSERT_TRUE(store_->PutNotificationLog({MakeEntry("G", kNow, kNow + absl::Hours(1))}).ok());
  RawSql(DbPath(), "UPDATE nflog SET resolved = x'01020304050607'");
  absl::StatusOr<std::vector<nflog::Entry>> entries = store_->LoadNotificationLog(kNow);
  EXPECT_EQ(entries.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(entries.status().message(), HasSubstr("alertname=\\\"G\\\""));
  EXPECT_THAT(entries.status().message(), HasSubstr("resolved"));
}

TEST_F(SqliteStateStoreTest, MismatchedNflogKeyIsDataLoss) {
  ASSERT_TRUE(store_->PutNotificationLog({MakeEntry("G", kNow, kNow + absl::Hours(1))}).ok());
  RawSql(DbPath(), "UPDATE nflog SET receiver = 'someone else'");
  EXPECT_EQ(store_->LoadNotificationLog(kNow).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(SqliteStateStoreTest, RefusesNewerSchemaVersion) {
  store_.reset();
  RawSql(DbPath(), "PRAGMA user_version = 3");
  absl::StatusOr<std::unique_ptr<SqliteStateStore>> store = SqliteStateStore::Open(dir_);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("schema version 3"));
  EXPECT_THAT(store.status().message(), HasSubstr(DbPath()));
}

TEST_F(SqliteStateStoreTest, RefusesFileThatIsNotADatabase) {
  store_.reset();
  const std::string dir = wecom_notify::testing::MakeTempDir("storage-garbage");
  wecom_notify::testing::WriteFile(absl::StrCat(dir, "/notifyd.db"),
                                   std::string(8192, 'x') + "not a database");
  absl::StatusOr<std::unique_ptr<SqliteStateStore>> store = SqliteStateStore::Open(dir);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr("notifyd.db"));
}

TEST_F(SqliteStateStoreTest, UnusableDirectoryIsUnavailable) {
  const std::string file = absl::StrCat(dir_, "/plain-file");
  wecom_notify::testing::WriteFile(file, "x");
  absl::StatusOr<std::unique_ptr<SqliteStateStore>> store =
      SqliteStateStore::Open(absl::StrCat(file, "/sub"));
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr("plain-file"));
}

TEST_F(SqliteStateStoreTest, LockedDatabaseIsUnavailableAfterBusyTimeout) {
  sqlite3* other = HoldWriteLockAgainst(absl::Milliseconds(50));
  const absl::Status status = store_->PutAlerts({MakeAlert("a")});
  ReleaseWriteLock(other);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr("put alerts"));
  // Once the lock is gone the store works again.
  EXPECT_TRUE(store_->PutAlerts({MakeAlert("a")}).ok());
  EXPECT_THAT(Load(), SizeIs(1));
}

TEST_F(SqliteStateStoreTest, FailedBatchStoresNothing) {
  // A trigger makes the third insert fail; the two before it must be rolled back.
  const alert::Alert a = MakeAlert("a"), b = MakeAlert("b"), c = MakeAlert("c");
  RawSql(DbPath(), absl::StrCat("CREATE TRIGGER fail BEFORE INSERT ON alert_log WHEN NEW.fingerprint = ",
                                static_cast<int64_t>(c.fingerprint),
                                " BEGIN SELECT RAISE(ABORT, 'injected failure'); END"));
  Reopen();  // statements prepared before the trigger existed would not see it
  const absl::Status status = store_->PutAlerts({a, b, c});
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("injected failure"));
  EXPECT_THAT(Load(), SizeIs(0));
  // The connection is usable afterwards (the transaction was rolled back).
  EXPECT_TRUE(store_->PutAlerts({a, b}).ok());
  EXPECT_THAT(Load(), SizeIs(2));
}

TEST_F(SqliteStateStoreTest, ConcurrentCallersAreSerialized) {
  constexpr int kThreads = 8;
  constexpr int kBatches = 20;
  std::vector<std::thread> threads;
  std::vector<alert::Alert> all;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kBatches; ++i) all.push_back(MakeAlert(absl::StrCat(t, "-", i)));
  }
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kBatches; ++i) {
        EXPECT_TRUE(store_->PutAlerts({all[t * kBatches + i]}).ok());
        EXPECT_TRUE(store_->LoadAlerts().ok());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  ExpectSameAlerts(Load(), all);
}

}  // namespace
}  // namespace wecom_notify::storage
