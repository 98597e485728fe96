// File: libs/storage/sqlite_columns.h
//
// Reading SQLite rows the storage library's way, shared by its connections: column readers that
// refuse a value of the wrong type instead of letting SQLite convert it (the file may have been
// edited or damaged), and a guard that resets a statement on every way out of a scope.

#ifndef WECOM_NOTIFY_LIBS_STORAGE_SQLITE_COLUMNS_H_
#define WECOM_NOTIFY_LIBS_STORAGE_SQLITE_COLUMNS_H_

#include <sqlite3.h>

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace wecom_notify::storage {

inline bool ColumnInt(sqlite3_stmt* stmt, int column, int64_t* value) {
  if (sqlite3_column_type(stmt, column) != SQLITE_INTEGER) return false;
  *value = sqlite3_column_int64(stmt, column);
  return true;
}

// The view is valid until the statement steps again or is reset.
inline bool ColumnBlob(sqlite3_stmt* stmt, int column, absl::string_view* value) {
  if (sqlite3_column_type(stmt, column) != SQLITE_BLOB) return false;
  const void* data = sqlite3_column_blob(stmt, column);
  const int size = sqlite3_column_bytes(stmt, column);
  *value = absl::string_view(static_cast<const char*>(data), static_cast<std::size_t>(size));
  return true;
}

// The view is valid until the statement steps again or is reset.
inline bool ColumnText(sqlite3_stmt* stmt, int column, absl::string_view* value) {
  if (sqlite3_column_type(stmt, column) != SQLITE_TEXT) return false;
  const unsigned char* data = sqlite3_column_text(stmt, column);
  const int size = sqlite3_column_bytes(stmt, column);
  *value = absl::string_view(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
  return true;
}

// Resets a statement when leaving scope, so an early return never leaves it mid-step (which
// would hold a read transaction open).
class ResetOnExit {
 public:
  explicit ResetOnExit(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~ResetOnExit() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

}  // namespace wecom_notify::storage

#endif  // WECOM_NOTIFY_LIBS_STORAGE_SQLITE_COLUMNS_H_
