// File: libs/storage/sqlite_state_store.h
//
// SqliteStateStore is the embedded StateStore: one SQLite database, <directory>/notifyd.db,
// in WAL mode.
//
// Durability. Every write method is one transaction (BEGIN IMMEDIATE … COMMIT); when it returns
// OK the transaction is in the WAL file.
//  - Synchronous::kNormal (default): the commit is written to the WAL but not fsynced; a
//    checkpoint fsyncs. Survives a process crash or SIGKILL (the bytes are in the OS page
//    cache), and the database is never corrupted, but a power loss or kernel crash may roll
//    back the last transactions before the next checkpoint. Commits cost a write(), no fsync.
//  - Synchronous::kFull: every commit fsyncs the WAL as well, so an acknowledged write also
//    survives a power loss; each commit costs one fsync (milliseconds on many disks), which is
//    why writers batch through GroupCommitter.
//
// Layout (schema version 1, kept in PRAGMA user_version):
//   alerts(fingerprint INTEGER PRIMARY KEY    -- uint64 bit-cast to int64
//          labels BLOB, annotations BLOB      -- codec.h LabelSet encoding
//          starts_at, ends_at, updated_at     -- codec.h int64 unix nanos
//          generator_url TEXT, ends_at_from_timeout INTEGER)
//   nflog(key TEXT PRIMARY KEY                -- nflog::Key::Joined()
//         group_key, receiver, integration TEXT, timestamp, expires_at INTEGER,
//         firing BLOB, resolved BLOB)         -- codec.h fingerprint lists
// A database with a user_version this build does not know is refused (FailedPrecondition), so
// an older notifyd never writes into a newer layout. There is no index besides the primary
// keys: writes are the hot path, and Prune's scan of the alerts table is cheap at its
// minutes-long interval. SQLite checkpoints the WAL into the database every ~1000 pages,
// inside the commit that crosses the mark, so an occasional commit takes longer.
//
// Errors. Every error is an absl::Status naming the operation and SQLite's message:
// Unavailable when the database is busy or locked past busy_timeout, or the disk is full or
// failing (a retry may succeed); DataLoss when a stored row does not decode or SQLite reports
// corruption; FailedPrecondition for an unknown schema version or a file that is not a database;
// Internal for anything else. Never an exception.
//
// Thread-safety: safe for concurrent use. One connection serves the store, guarded by one mutex,
// so calls are serialized; SQLite allows one writer at a time anyway, and GroupCommitter is how
// concurrent writers share a transaction. Another process (or another SqliteStateStore) may
// open the same file; SQLite's locks serialize them, waiting up to busy_timeout.

#ifndef WECOM_NOTIFY_LIBS_STORAGE_SQLITE_STATE_STORE_H_
#define WECOM_NOTIFY_LIBS_STORAGE_SQLITE_STATE_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/alert/alert.h"
#include "libs/nflog/notification_log.h"
#include "libs/storage/state_store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace wecom_notify::storage {

class SqliteStateStore : public StateStore {
 public:
  // The file name inside the storage directory.
  static constexpr char kFileName[] = "notifyd.db";
  // The schema version this build reads and writes.
  static constexpr int kSchemaVersion = 1;

  enum class Synchronous { kNormal, kFull };

  struct Options {
    // See "Durability" above.
    Synchronous synchronous = Synchronous::kNormal;
    // How long a call waits for a lock held by another connection before failing with
    // Unavailable.
    absl::Duration busy_timeout = absl::Seconds(5);
  };

  // Open()
  //
  // Opens <directory>/notifyd.db, creating the directory (with parents) and the database when
  // missing, switches it to WAL mode and creates or checks the schema. Errors: Unavailable when
  // the directory or file cannot be created or opened, or the database is locked;
  // FailedPrecondition when the file is not a SQLite database or has an unknown schema
  // version; Internal for other SQLite failures.
  static absl::StatusOr<std::unique_ptr<SqliteStateStore>> Open(const std::string& directory,
                                                               const Options& options);
  static absl::StatusOr<std::unique_ptr<SqliteStateStore>> Open(const std::string& directory) {
    return Open(directory, Options());
  }

  // Closes the database. Committed data stays in the WAL until a later connection
  // checkpoints it; nothing is lost either way.
  ~SqliteStateStore() override;

  SqliteStateStore(const SqliteStateStore&) = delete;
  SqliteStateStore& operator=(const SqliteStateStore&) = delete;

  // StateStore. An empty batch returns OK without a transaction.
  absl::Status PutAlerts(const std::vector<alert::Alert>& alerts) override;
  absl::Status DeleteAlerts(const std::vector<uint64_t>& fingerprints) override;
  // Errors: DataLoss (naming the fingerprint) when a stored row does not decode.
  absl::StatusOr<std::vector<alert::Alert>> LoadAlerts() override;
  // An entry older (by timestamp) than the stored one for its key is ignored, as
  // nflog::NotificationLog::Record does, so a late writer never rolls the log back.
  absl::Status PutNotificationLog(const std::vector<nflog::Entry>& entries) override;
  // Errors: DataLoss (naming the key) when a stored row does not decode.
  absl::StatusOr<std::vector<nflog::Entry>> LoadNotificationLog(absl::Time now) override;
  // Removes entries with expires_at <= now and alerts with a set ends_at <= resolved_before
  // (alert::Alert::ResolvedAt(resolved_before)), in one transaction.
  absl::Status Prune(absl::Time now, absl::Time resolved_before) override;
  absl::Status CheckWritable() override;

  // The database file's path.
  const std::string& path() const { return path_; }

 private:
  // The statements prepared once in Open() and reused.
  struct Statements;

  SqliteStateStore(std::string path, sqlite3* db);

  absl::Status Initialize(const Options& options) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Exec(const char* sql, const char* operation) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Error(int code, const char* operation) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs BEGIN IMMEDIATE, `body`, COMMIT; rolls back when any fails.
  template <typename Body>
  absl::Status InTransaction(const char* operation, Body body) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs `stmt` (already bound) to completion and resets it.
  absl::Status StepDone(sqlite3_stmt* stmt, const char* operation)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  absl::Mutex mu_;
  sqlite3* const db_ ABSL_PT_GUARDED_BY(mu_);
  std::unique_ptr<Statements> statements_ ABSL_GUARDED_BY(mu_);
  // Reused encoding buffers, so a batch does not allocate per alert once they have grown.
  std::string labels_buffer_ ABSL_GUARDED_BY(mu_);
  std::string annotations_buffer_ ABSL_GUARDED_BY(mu_);
};

}  // namespace wecom_notify::storage

#endif  // WECOM_NOTIFY_LIBS_STORAGE_SQLITE_STATE_STORE_H_
