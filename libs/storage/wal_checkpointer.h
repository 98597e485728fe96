// File: libs/storage/wal_checkpointer.h
//
// WalCheckpointer checkpoints a WAL-mode SQLite database from its own connection and thread, so
// that no commit ever pays for one. Left to itself SQLite checkpoints inside the commit that
// takes the WAL past 1000 pages: that commit copies ~4 MiB into the database file and fsyncs
// both files before it returns, and every acknowledgement waiting on it (GroupCommitter's whole
// batch, and the next one queued behind it) waits too — the tail of notifyd's ingest latency
// (docs/performance.md). The owner turns SQLite's automatic checkpoints off
// (PRAGMA wal_autocheckpoint=0) on its own connection and starts one of these.
//
// Every `interval` the thread runs a PASSIVE checkpoint: it copies the frames no reader needs
// into the database file and fsyncs, concurrently with writers, never blocking them. SQLite
// restarts a WAL from its beginning only when a writer finds it fully copied, which under
// continuous writes a passive checkpoint rarely leaves it, so once the WAL holds
// `restart_at_frames` frames the checkpoint is a RESTART instead (after catch-up passes, so
// little is left to copy): it waits for the current write to finish, briefly holds off new
// ones, copies the rest, and makes the next writer start at the beginning of the file. The
// file keeps its size (the store's journal_size_limit caps it), so writers overwrite blocks
// already allocated: a WAL that grew instead (a TRUNCATE every 64 MiB, tried first) made
// writers allocate blocks whose file-system journal commits queued behind the checkpoint's
// fsync — 30–40 ms stalls at the p99 of single-alert ingest on ext4.
//
// Durability is unchanged: a committed transaction is in the WAL either way. With
// synchronous=NORMAL a checkpoint is also when the WAL reaches the disk, so the interval bounds
// how much acknowledged data a power loss may take, where SQLite's page-count trigger bounded
// nothing at a low write rate.
//
// Thread-safety: CheckpointNow and GetStats may be called from any thread.

#ifndef WECOM_NOTIFY_LIBS_STORAGE_WAL_CHECKPOINTER_H_
#define WECOM_NOTIFY_LIBS_STORAGE_WAL_CHECKPOINTER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

struct sqlite3;

namespace wecom_notify::storage {

class WalCheckpointer {
 public:
  struct Options {
    // Between two checkpoints of the thread. absl::InfiniteDuration(): no thread; only
    // CheckpointNow() checkpoints (tests).
    absl::Duration interval = absl::Milliseconds(100);
    // A WAL of at least this many frames (pages of 4 KiB) is restarted by a RESTART
    // checkpoint. 16384 frames = 64 MiB, the store's journal_size_limit.
    int64_t restart_at_frames = 16384;
    // How long a RESTART checkpoint waits for a writer to finish before giving up (it then
    // fails with Unavailable and is retried at the next interval).
    absl::Duration busy_timeout = absl::Seconds(1);
  };

  // The outcome of the checkpoints so far; the last_* fields are those of the latest one.
  struct Stats {
    uint64_t checkpoints = 0;  // that returned OK
    uint64_t restarts = 0;     // of which were RESTART
    uint64_t failures = 0;
    int64_t last_wal_frames = 0;          // frames in the WAL when it ran
    int64_t last_checkpointed_frames = 0;  // of which are now in the database file
  };

  // Start()
  //
  // Opens its own connection to the database at `path` (which must exist and be in WAL mode)
  // and, unless options.interval is infinite, starts the thread. Errors: Unavailable when the
  // file cannot be opened; FailedPrecondition when it is not a database in WAL mode.
  static absl::StatusOr<std::unique_ptr<WalCheckpointer>> Start(const std::string& path,
                                                               const Options& options);

  // Stops the thread (waiting for a checkpoint under way) and closes the connection.
  ~WalCheckpointer();

  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Runs one checkpoint now, PASSIVE or RESTART as described above. Errors: Unavailable when
  // the database is busy past busy_timeout (RESTART only) or the disk fails; Internal else.
  absl::Status CheckpointNow();

  Stats GetStats() const;

 private:
  WalCheckpointer(sqlite3* db, const Options& options);
  void Run();

  const Options options_;
  mutable absl::Mutex mu_;
  sqlite3* const db_ ABSL_PT_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace wecom_notify::storage

#endif  // WECOM_NOTIFY_LIBS_STORAGE_WAL_CHECKPOINTER_H_
