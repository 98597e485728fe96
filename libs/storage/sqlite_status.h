// File: libs/storage/sqlite_status.h
//
// How the storage library maps a SQLite result code to an absl::StatusCode: Unavailable for what
// a retry may cure (busy, locked, disk full or failing, no memory), DataLoss for corruption,
// FailedPrecondition for a file that is not a database, Internal for the rest.

#ifndef WECOM_NOTIFY_LIBS_STORAGE_SQLITE_STATUS_H_
#define WECOM_NOTIFY_LIBS_STORAGE_SQLITE_STATUS_H_

#include "absl/status/status.h"

namespace wecom_notify::storage {

// `sqlite_code` may be an extended result code.
absl::StatusCode StatusCodeForSqlite(int sqlite_code);

}  // namespace wecom_notify::storage

#endif  // WECOM_NOTIFY_LIBS_STORAGE_SQLITE_STATUS_H_
