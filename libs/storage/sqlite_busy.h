// File: libs/storage/sqlite_busy.h
//
// A busy handler for the storage library's SQLite connections. SQLite's own (sqlite3_busy_timeout)
// sleeps in steps that grow to 100 ms, so a lock held for one millisecond — a commit, or a WAL
// truncation by WalCheckpointer's connection — can cost the waiter tens of milliseconds, and
// ingest latency with it. This one polls every 100 µs until `timeout` has been spent sleeping.

#ifndef WECOM_NOTIFY_LIBS_STORAGE_SQLITE_BUSY_H_
#define WECOM_NOTIFY_LIBS_STORAGE_SQLITE_BUSY_H_

#include "absl/time/time.h"

struct sqlite3;

namespace wecom_notify::storage {

// Installs the handler on `db`. `timeout` is read on every wait: it must outlive the connection.
void SetPollingBusyHandler(sqlite3* db, const absl::Duration* timeout);

}  // namespace wecom_notify::storage

#endif  // WECOM_NOTIFY_LIBS_STORAGE_SQLITE_BUSY_H_
