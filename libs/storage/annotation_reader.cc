#include "libs/storage/annotation_reader.h"

#include <sqlite3.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "libs/alert/fingerprint.h"
#include "libs/storage/codec.h"
#include "libs/storage/sqlite_busy.h"
#include "libs/storage/sqlite_columns.h"
#include "libs/storage/sqlite_status.h"

namespace wecom_notify::storage {

absl::StatusOr<std::unique_ptr<AnnotationReader>> AnnotationReader::Open(
    const std::string& path, absl::Duration busy_timeout) {
  absl::StatusOr<sqlite3*> db =
      OpenConnection(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, " for reading annotations");
  if (!db.ok()) return db.status();
  std::unique_ptr<AnnotationReader> reader(new AnnotationReader(path, *db));
  absl::MutexLock lock(&reader->mu_);
  reader->busy_timeout_ = busy_timeout;
  SetPollingBusyHandler(*db, &reader->busy_timeout_);
  // As small a page cache as the store's connection: rows are read in log order, each page
  // once, so a bigger cache would only hold pages no read comes back to.
  if (const int pragma = sqlite3_exec(*db, "PRAGMA cache_size=-256", nullptr, nullptr, nullptr);
      pragma != SQLITE_OK) {
    return reader->Error(pragma, "set cache_size");
  }
  if (const int prepared =
          sqlite3_prepare_v3(*db, "SELECT annotations FROM alert_log WHERE seq = ?1", -1,
                             SQLITE_PREPARE_PERSISTENT, &reader->select_, nullptr);
      prepared != SQLITE_OK) {
    return reader->Error(prepared, "prepare the annotations read");
  }
  return reader;
}

AnnotationReader::AnnotationReader(std::string path, sqlite3* db)
    : path_(std::move(path)), db_(db) {}

AnnotationReader::~AnnotationReader() {
  absl::MutexLock lock(&mu_);
  sqlite3_finalize(select_);
  sqlite3_close_v2(db_);
}

absl::Status AnnotationReader::Error(int code, const char* operation) {
  return absl::Status(StatusCodeForSqlite(code),
                      absl::StrCat("storage: ", operation, " on ", path_, ": ", sqlite3_errmsg(db_),
                                   " (sqlite code ", code, ")"));
}

absl::Status AnnotationReader::Read(absl::Span<const Row> rows, absl::Span<alert::Alert> alerts,
                                    std::vector<uint32_t>* missing) {
  absl::MutexLock lock(&mu_);
  for (std::size_t begin = 0; begin < rows.size(); begin += kRowsPerTransaction) {
    const std::size_t count = std::min(kRowsPerTransaction, rows.size() - begin);
    if (const int code = sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr); code != SQLITE_OK) {
      return Error(code, "begin reading annotations");
    }
    const absl::Status read = ReadInTransaction(rows.subspan(begin, count), alerts, missing);
    // A read transaction has nothing to keep: ending it can only fail if it is already gone.
    sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
    if (!read.ok()) return read;
  }
  return absl::OkStatus();
}

absl::Status AnnotationReader::ReadInTransaction(absl::Span<const Row> rows,
                                                 absl::Span<alert::Alert> alerts,
                                                 std::vector<uint32_t>* missing) {
  for (const Row& row : rows) {
    alert::Alert& alert = alerts[row.alert];
    ResetOnExit reset(select_);
    sqlite3_bind_int64(select_, 1, row.seq);
    const int code = sqlite3_step(select_);
    if (code == SQLITE_DONE) {
      missing->push_back(row.alert);
      continue;
    }
    if (code != SQLITE_ROW) return Error(code, "read annotations");
    auto corrupt = [&](absl::string_view what) {
      return absl::DataLossError(absl::StrCat("storage: read annotations from ", path_, ": alert ",
                                              alert::FingerprintToHex(alert.fingerprint), ": ",
                                              what));
    };
    absl::string_view encoded;
    if (!ColumnBlob(select_, 0, &encoded)) return corrupt("a column has the wrong type");
    absl::StatusOr<alert::LabelSet> decoded = DecodeLabelSet(encoded);
    if (!decoded.ok()) return corrupt(decoded.status().message());
    alert.annotations = *std::move(decoded);
  }
  return absl::OkStatus();
}

}  // namespace wecom_notify::storage
