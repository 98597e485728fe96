// File: libs/storage/sqlite_status.h
//
// How the storage library maps a SQLite result code to an absl::StatusCode: Unavailable for what
// a retry may cure (busy, locked, disk full or failing, no memory), DataLoss for corruption,
// FailedPrecondition for a file that is not a database, Internal for the rest. And how its
// connections are opened, with an error in the same terms.

#ifndef WECOM_NOTIFY_LIBS_STORAGE_SQLITE_STATUS_H_
#define WECOM_NOTIFY_LIBS_STORAGE_SQLITE_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct sqlite3;

namespace wecom_notify::storage {

// `sqlite_code` may be an extended result code.
absl::StatusCode StatusCodeForSqlite(int sqlite_code);

// Opens a connection to `path` with `flags` (SQLITE_OPEN_*). Errors name the path, `purpose`
// (appended to it: "" or e.g. " for checkpoints") and SQLite's message; no connection is left
// open then.
absl::StatusOr<sqlite3*> OpenConnection(const std::string& path, int flags,
                                        absl::string_view purpose);

}  // namespace wecom_notify::storage

#endif  // WECOM_NOTIFY_LIBS_STORAGE_SQLITE_STATUS_H_
