#include "libs/storage/sqlite_status.h"

#include <sqlite3.h>

#include "absl/strings/str_cat.h"

namespace wecom_notify::storage {

absl::StatusCode StatusCodeForSqlite(int sqlite_code) {
  switch (sqlite_code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
      return absl::StatusCode::kUnavailable;
    case SQLITE_CORRUPT:
      return absl::StatusCode::kDataLoss;
    case SQLITE_NOTADB:
      return absl::StatusCode::kFailedPrecondition;
    default:
      return absl::StatusCode::kInternal;
  }
}

absl::StatusOr<sqlite3*> OpenConnection(const std::string& path, int flags,
                                        absl::string_view purpose) {
  sqlite3* db = nullptr;
  const int code = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (code == SQLITE_OK) return db;
  absl::Status status(StatusCodeForSqlite(code),
                      absl::StrCat("storage: open ", path, purpose, ": ",
                                   db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code)));
  sqlite3_close_v2(db);
  return status;
}

}  // namespace wecom_notify::storage
