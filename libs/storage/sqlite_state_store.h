// File: libs/storage/sqlite_state_store.h
//
// SqliteStateStore is the embedded StateStore: one SQLite database, <directory>/notifyd.db,
// in WAL mode.
//
// Durability. Every write method is one transaction (BEGIN IMMEDIATE … COMMIT); when it returns
// OK the transaction is in the WAL file.
//  - Synchronous::kNormal (default): the commit is written to the WAL but not fsynced; a
//    checkpoint fsyncs (every Options::checkpoint_interval, see wal_checkpointer.h). Survives a
//    process crash or SIGKILL (the bytes are in the OS page cache), and the database is never
//    corrupted, but a power loss or kernel crash may roll back the last transactions before the
//    next checkpoint. Commits cost a write(), no fsync.
//  - Synchronous::kFull: every commit fsyncs the WAL as well, so an acknowledged write also
//    survives a power loss; each commit costs one fsync (milliseconds on many disks), which is
//    why writers batch through GroupCommitter.
//
// Layout (schema version 2, kept in PRAGMA user_version):
//   alert_log(seq INTEGER PRIMARY KEY         -- write order (SQLite's rowid, max + 1)
//             fingerprint INTEGER             -- uint64 bit-cast to int64
//             labels BLOB, annotations BLOB   -- codec.h LabelSet encoding
//             starts_at, ends_at, updated_at  -- codec.h int64 unix nanos
//             generator_url TEXT, ends_at_from_timeout INTEGER,
//             removed INTEGER)                -- 1: the alert was deleted or pruned here
//   nflog(key TEXT PRIMARY KEY                -- nflog::Key::Joined()
//         group_key, receiver, integration TEXT, timestamp, expires_at INTEGER,
//         firing BLOB, resolved BLOB)         -- codec.h fingerprint lists
// A database with a user_version this build does not know is refused (FailedPrecondition), so
// an older notifyd never writes into a newer layout; a version 1 database (one row per alert
// in a table keyed by fingerprint) is converted on open.
//
// Why a log. Fingerprints are hashes: a table keyed by them takes each new alert on a random
// page, so a batch of N alerts rewrote ~N pages (4 KiB each) into the WAL, and durable ingest
// measured ~10x slower than appending (tests/storage/storage_bench.cc). Every write therefore
// appends — a version of an alert, or a removal — and the rows go to the end of the b-tree.
// The store keeps in memory, per alert, only the seq of the row holding its current version:
// ~20 bytes per alert in a VersionIndex (version_index.h: grows a
// shard at a time, so holding more alerts never pauses commits for the whole index), built
// by one scan on open. LoadAlerts decodes
// only those rows. Compact() reclaims superseded rows once they outnumber the current ones
// (and Options::compact_at_garbage_rows): it copies the current versions found among the
// oldest Options::compact_chunk_rows rows to the end and deletes the chunk, so it is a
// sequential read and append too, bounded per call.
//
// Errors. Every error is an absl::Status naming the operation and SQLite's message:
// Unavailable when the database is busy or locked past busy_timeout, or the disk is full or
// failing (a retry may succeed); DataLoss when a stored row does not decode or SQLite reports
// corruption; FailedPrecondition for an unknown schema version or a file that is not a database;
// ResourceExhausted when an append would make the log span 2^32 rows (the VersionIndex keeps
// seqs modulo 2^32; compaction would have to be billions of rows behind); Internal for anything
// else. Never an exception.
//
// Thread-safety: safe for concurrent use. One connection serves the store, guarded by one mutex,
// so calls are serialized (a second one, the WalCheckpointer's, only checkpoints); SQLite allows
// one writer at a time anyway, and GroupCommitter is how concurrent writers share a transaction.
// Another process (or another SqliteStateStore) may open the same file; SQLite's locks serialize
// them, waiting up to busy_timeout.

#ifndef WECOM_NOTIFY_LIBS_STORAGE_SQLITE_STATE_STORE_H_
#define WECOM_NOTIFY_LIBS_STORAGE_SQLITE_STATE_STORE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "libs/alert/alert.h"
#include "libs/nflog/notification_log.h"
#include "libs/storage/annotation_reader.h"
#include "libs/storage/state_store.h"
#include "libs/storage/version_index.h"
#include "libs/storage/wal_checkpointer.h"

struct sqlite3;
struct sqlite3_stmt;

namespace wecom_notify::storage {

class SqliteStateStore : public StateStore {
 public:
  // The file name inside the storage directory.
  static constexpr char kFileName[] = "notifyd.db";
  // The schema version this build reads and writes.
  static constexpr int kSchemaVersion = 2;
  // Prune checks and removes this many candidates per hold of the store's lock.
  static constexpr std::size_t kPruneChunk = 1000;
  // ReadAnnotations looks up this many alerts' rows per hold of the store's lock (tens of
  // microseconds: a commit never waits long for a listing).
  static constexpr std::size_t kLookupChunk = 256;

  enum class Synchronous { kNormal, kFull };

  struct Options {
    // See "Durability" above.
    Synchronous synchronous = Synchronous::kNormal;
    // How long a call waits for a lock held by another connection before failing with
    // Unavailable.
    absl::Duration busy_timeout = absl::Seconds(5);
    // Compact() does nothing until the log holds at least this many superseded rows (and at
    // least as many as current ones), then reclaims the oldest compact_chunk_rows rows per
    // call: a bigger chunk pauses other calls longer.
    std::size_t compact_at_garbage_rows = 20'000;
    std::size_t compact_chunk_rows = 10'000;
    // Non-zero: the WAL is checkpointed from a WalCheckpointer's own connection and thread at
    // this interval (absl::InfiniteDuration(): only when its CheckpointNow() is called), never
    // inside a commit. Zero: SQLite's automatic checkpoint inside the commit that takes the
    // WAL past 1000 pages, which that commit's callers wait for.
    absl::Duration checkpoint_interval = absl::Milliseconds(100);
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
  // Removes entries with expires_at <= now, then, of `resolved`, the alerts whose current row
  // has a set ends_at <= resolved_before (alert::Alert::ResolvedAt(resolved_before)); each
  // candidate's ends_at is one read of its row by seq. One transaction for the notification
  // log, then one per kPruneChunk candidates, so that commits go on in between.
  absl::Status Prune(absl::Time now, absl::Time resolved_before,
                     const std::vector<uint64_t>& resolved) override;
  bool ServesAnnotations() const override { return true; }
  // Looks each alert's current row up (kLookupChunk per hold of the lock), then reads the rows
  // in log order on a connection of its own (annotation_reader.h), without the lock. Errors:
  // DataLoss (naming the fingerprint) when a row's annotations do not decode.
  absl::Status ReadAnnotations(absl::Span<alert::Alert> alerts) override;
  absl::Status CheckWritable() override;
  // Reclaims the oldest compact_chunk_rows rows of the log in one transaction once superseded
  // rows are due (see "Why a log"); OK at once otherwise.
  absl::Status Compact() override;

  // The database file's path.
  const std::string& path() const { return path_; }

  // The background checkpointer; nullptr when Options::checkpoint_interval is zero.
  WalCheckpointer* checkpointer() { return checkpointer_.get(); }

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
  // Inside a transaction: appends a removal row per fingerprint and records it in changes_.
  absl::Status AppendRemovals(const std::vector<uint64_t>& fingerprints, const char* operation)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // After a transaction: applies changes_ to current_ when `status` (the transaction's) is OK,
  // clears them, re-reads the log's bounds; returns the first error.
  absl::Status Settle(absl::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Appends the current row of alerts[i] for each i in `which` to `rows`; clears the
  // annotations of those not stored.
  void LookUpRows(absl::Span<const uint32_t> which, absl::Span<alert::Alert> alerts,
                  std::vector<AnnotationReader::Row>* rows) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Reads the log's first seq and row count.
  absl::Status ReadLogBounds() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Builds current_ from the whole log (on open).
  absl::Status IndexLog() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // ResourceExhausted when `more_rows` appended would make the log span VersionIndex::kMaxSpan
  // rows, which the index cannot tell apart. Every append but compaction's checks first
  // (compaction never lengthens the log); near 4 billion rows, compaction is far behind.
  absl::Status CheckLogSpan(std::size_t more_rows, const char* operation) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  absl::Mutex mu_;
  sqlite3* const db_ ABSL_PT_GUARDED_BY(mu_);
  std::unique_ptr<Statements> statements_ ABSL_GUARDED_BY(mu_);
  // Reused encoding buffers, so a batch does not allocate per alert once they have grown.
  std::string labels_buffer_ ABSL_GUARDED_BY(mu_);
  std::string annotations_buffer_ ABSL_GUARDED_BY(mu_);
  std::size_t compact_at_garbage_rows_ ABSL_GUARDED_BY(mu_) = 0;
  std::size_t compact_chunk_rows_ ABSL_GUARDED_BY(mu_) = 1;
  // Options::busy_timeout, read by the connection's busy handler (sqlite_busy.h).
  absl::Duration busy_timeout_;
  std::unique_ptr<WalCheckpointer> checkpointer_;
  // ReadAnnotations' connection.
  std::unique_ptr<AnnotationReader> reader_;

  // Where each alert's current version is in the log.
  VersionIndex current_ ABSL_GUARDED_BY(mu_);
  // What the transaction under way will change in current_ once it commits: (fingerprint, seq
  // of its new current version, or kRemoved).
  std::vector<std::pair<uint64_t, int64_t>> changes_ ABSL_GUARDED_BY(mu_);
  int64_t log_first_seq_ ABSL_GUARDED_BY(mu_) = 0;
  std::size_t log_rows_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace wecom_notify::storage

#endif  // WECOM_NOTIFY_LIBS_STORAGE_SQLITE_STATE_STORE_H_
