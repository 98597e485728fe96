// File: libs/storage/annotation_reader.h
//
// AnnotationReader reads the annotations of alert-log rows by seq on a read-only connection of
// its own, for SqliteStateStore::ReadAnnotations.
//
// Why a connection of its own. A listing of 100k alerts reads 100k rows, on a thread of low
// priority (notifyd lists at nice 10). On the store's connection it held the store's lock in
// turns with the committer, and was preempted while holding it: ingest p99 went from ~25 ms to
// over a second while listing (docs/performance.md). In WAL mode a reader neither blocks the
// writer nor waits for it, so the store's lock is held only to look seqs up.
//
// Rows are read in the order given — ascending seq reads the log's pages in order, each once —
// in read transactions of kRowsPerTransaction rows, so that a checkpoint is never held off long.
//
// Thread-safety: Read may be called from any thread; calls are serialized.

#ifndef WECOM_NOTIFY_LIBS_STORAGE_ANNOTATION_READER_H_
#define WECOM_NOTIFY_LIBS_STORAGE_ANNOTATION_READER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "libs/alert/alert.h"

struct sqlite3;
struct sqlite3_stmt;

namespace wecom_notify::storage {

class AnnotationReader {
 public:
  static constexpr std::size_t kRowsPerTransaction = 1024;

  // Opens `path` (a database SqliteStateStore has opened and put in WAL mode) read-only.
  // Errors: as SqliteStateStore::Open.
  static absl::StatusOr<std::unique_ptr<AnnotationReader>> Open(const std::string& path,
                                                                absl::Duration busy_timeout);
  ~AnnotationReader();
  AnnotationReader(const AnnotationReader&) = delete;
  AnnotationReader& operator=(const AnnotationReader&) = delete;

  // The alert-log row `seq` holds the current version of `alerts[alert]`.
  struct Row {
    int64_t seq;
    uint32_t alert;
  };

  // Sets the annotations of alerts[row.alert] to those of row `row.seq`, for each row. A row
  // that is gone (compaction moved it after its seq was looked up) is appended to `missing`
  // (its alert's index) and its alert left as it was. Errors: DataLoss naming the alert's
  // fingerprint when a row does not decode; Unavailable / Internal from SQLite. Then the rows
  // after the failing one are not read.
  absl::Status Read(absl::Span<const Row> rows, absl::Span<alert::Alert> alerts,
                    std::vector<uint32_t>* missing);

 private:
  AnnotationReader(std::string path, sqlite3* db);
  absl::Status Error(int code, const char* operation) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ReadInTransaction(absl::Span<const Row> rows, absl::Span<alert::Alert> alerts,
                                 std::vector<uint32_t>* missing) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  absl::Duration busy_timeout_;
  absl::Mutex mu_;
  sqlite3* const db_ ABSL_PT_GUARDED_BY(mu_);
  sqlite3_stmt* select_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace wecom_notify::storage

#endif  // WECOM_NOTIFY_LIBS_STORAGE_ANNOTATION_READER_H_
