// File: libs/storage/sqlite_state_store.cc

#include "libs/storage/sqlite_state_store.h"

#include <sqlite3.h>

#include <cstddef>
#include <filesystem>
#include <limits>
#include <system_error>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "libs/alert/fingerprint.h"
#include "libs/common/status_macros.h"
#include "libs/storage/codec.h"

namespace wecom_notify::storage {
namespace {

constexpr int64_t kUnsetTime = std::numeric_limits<int64_t>::min();

// STRICT makes SQLite reject a value of the wrong type on write; reads still check types, since
// the file may have been edited or damaged.
constexpr const char* kCreateSchema[] = {
    "CREATE TABLE alerts ("
    "  fingerprint INTEGER PRIMARY KEY,"  // uint64 bit-cast to int64; the rowid
    "  labels BLOB NOT NULL,"
    "  annotations BLOB NOT NULL,"
    "  starts_at INTEGER NOT NULL,"
    "  ends_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  generator_url TEXT NOT NULL,"
    "  ends_at_from_timeout INTEGER NOT NULL"
    ") STRICT",
    "CREATE TABLE nflog ("
    "  key TEXT PRIMARY KEY,"  // nflog::Key::Joined()
    "  group_key TEXT NOT NULL,"
    "  receiver TEXT NOT NULL,"
    "  integration TEXT NOT NULL,"
    "  timestamp INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  firing BLOB NOT NULL,"
    "  resolved BLOB NOT NULL"
    ") STRICT, WITHOUT ROWID",
};

absl::StatusCode CodeFor(int sqlite_code) {
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

int64_t ToColumn(uint64_t fingerprint) { return static_cast<int64_t>(fingerprint); }
uint64_t FromColumn(int64_t value) { return static_cast<uint64_t>(value); }

// Column readers that refuse a value of the wrong type instead of letting SQLite convert it.
bool ColumnInt(sqlite3_stmt* stmt, int column, int64_t* value) {
  if (sqlite3_column_type(stmt, column) != SQLITE_INTEGER) return false;
  *value = sqlite3_column_int64(stmt, column);
  return true;
}

bool ColumnBlob(sqlite3_stmt* stmt, int column, absl::string_view* value) {
  if (sqlite3_column_type(stmt, column) != SQLITE_BLOB) return false;
  const void* data = sqlite3_column_blob(stmt, column);
  const int size = sqlite3_column_bytes(stmt, column);
  *value = absl::string_view(static_cast<const char*>(data), static_cast<std::size_t>(size));
  return true;
}

bool ColumnText(sqlite3_stmt* stmt, int column, absl::string_view* value) {
  if (sqlite3_column_type(stmt, column) != SQLITE_TEXT) return false;
  const unsigned char* data = sqlite3_column_text(stmt, column);
  const int size = sqlite3_column_bytes(stmt, column);
  *value = absl::string_view(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
  return true;
}

void BindText(sqlite3_stmt* stmt, int index, absl::string_view text) {
  sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

void BindBlob(sqlite3_stmt* stmt, int index, absl::string_view blob) {
  // A non-null pointer even for an empty blob: a null one would bind NULL.
  static const char kEmpty = 0;
  sqlite3_bind_blob(stmt, index, blob.empty() ? &kEmpty : blob.data(),
                    static_cast<int>(blob.size()), SQLITE_STATIC);
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

}  // namespace

struct SqliteStateStore::Statements {
  sqlite3_stmt* begin = nullptr;
  sqlite3_stmt* commit = nullptr;
  sqlite3_stmt* rollback = nullptr;
  sqlite3_stmt* put_alert = nullptr;
  sqlite3_stmt* delete_alert = nullptr;
  sqlite3_stmt* load_alerts = nullptr;
  sqlite3_stmt* put_nflog = nullptr;
  sqlite3_stmt* load_nflog = nullptr;
  sqlite3_stmt* prune_nflog = nullptr;
  sqlite3_stmt* prune_alerts = nullptr;

  ~Statements() {
    for (sqlite3_stmt* stmt : {begin, commit, rollback, put_alert, delete_alert, load_alerts,
                               put_nflog, load_nflog, prune_nflog, prune_alerts}) {
      sqlite3_finalize(stmt);  // a no-op for nullptr
    }
  }
};

SqliteStateStore::SqliteStateStore(std::string path, sqlite3* db)
    : path_(std::move(path)), db_(db), statements_(std::make_unique<Statements>()) {}

SqliteStateStore::~SqliteStateStore() {
  absl::MutexLock lock(&mu_);
  statements_.reset();
  sqlite3_close_v2(db_);
}

absl::StatusOr<std::unique_ptr<SqliteStateStore>> SqliteStateStore::Open(
    const std::string& directory, const Options& options) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) {
    return absl::UnavailableError(absl::StrCat("storage: cannot create directory ", directory,
                                               ": ", error.message()));
  }
  std::string path = (std::filesystem::path(directory) / kFileName).string();
  sqlite3* db = nullptr;
  const int code = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
      nullptr);
  if (code != SQLITE_OK) {
    absl::Status status(CodeFor(code),
                        absl::StrCat("storage: open ", path, ": ",
                                     db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code)));
    sqlite3_close_v2(db);
    return status;
  }
  std::unique_ptr<SqliteStateStore> store(new SqliteStateStore(std::move(path), db));
  {
    absl::MutexLock lock(&store->mu_);
    RETURN_IF_ERROR(store->Initialize(options));
  }
  return store;
}

absl::Status SqliteStateStore::Error(int code, const char* operation) {
  return absl::Status(CodeFor(code), absl::StrCat("storage: ", operation, " on ", path_, ": ",
                                                  sqlite3_errmsg(db_), " (sqlite code ", code,
                                                  ")"));
}

absl::Status SqliteStateStore::Exec(const char* sql, const char* operation) {
  const int code = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (code != SQLITE_OK) return Error(code, operation);
  return absl::OkStatus();
}

absl::Status SqliteStateStore::Initialize(const Options& options) {
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, static_cast<int>(absl::ToInt64Milliseconds(options.busy_timeout)));

  // journal_mode answers with the mode in effect; a file system without shared memory support
  // would answer something else, and we would silently lose WAL's guarantees.
  {
    sqlite3_stmt* stmt = nullptr;
    int code = sqlite3_prepare_v2(db_, "PRAGMA journal_mode=WAL", -1, &stmt, nullptr);
    if (code != SQLITE_OK) return Error(code, "set journal_mode");
    code = sqlite3_step(stmt);
    std::string mode;
    if (code == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      if (text != nullptr) mode = reinterpret_cast<const char*>(text);
    }
    sqlite3_finalize(stmt);
    if (code != SQLITE_ROW) return Error(code, "set journal_mode");
    if (mode != "wal") {
      return absl::FailedPreconditionError(absl::StrCat(
          "storage: ", path_, ": SQLite refused WAL mode (journal_mode is '", mode, "')"));
    }
  }
  RETURN_IF_ERROR(Exec(options.synchronous == Synchronous::kFull ? "PRAGMA synchronous=FULL"
                                                                 : "PRAGMA synchronous=NORMAL",
                       "set synchronous"));
  // Truncate a large WAL back to 64 MiB after checkpoints instead of keeping it at its peak.
  RETURN_IF_ERROR(Exec("PRAGMA journal_size_limit=67108864", "set journal_size_limit"));

  // Create or check the schema. BEGIN IMMEDIATE so two processes opening a new file at once
  // do not both create it.
  RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE", "begin schema transaction"));
  auto schema = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::StatusOr<int> {
    sqlite3_stmt* stmt = nullptr;
    int code = sqlite3_prepare_v2(db_, "PRAGMA user_version", -1, &stmt, nullptr);
    if (code != SQLITE_OK) return Error(code, "read schema version");
    code = sqlite3_step(stmt);
    const int version = code == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : 0;
    sqlite3_finalize(stmt);
    if (code != SQLITE_ROW) return Error(code, "read schema version");
    if (version != 0) return version;
    for (const char* sql : kCreateSchema) RETURN_IF_ERROR(Exec(sql, "create schema"));
    RETURN_IF_ERROR(Exec(absl::StrCat("PRAGMA user_version=", kSchemaVersion).c_str(),
                         "set schema version"));
    return kSchemaVersion;
  }();
  if (!schema.ok()) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return schema.status();
  }
  RETURN_IF_ERROR(Exec("COMMIT", "commit schema transaction"));
  if (*schema != kSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "storage: ", path_, " has schema version ", *schema, "; this notifyd knows version ",
        kSchemaVersion, " only (was the database written by a newer notifyd?)"));
  }

  struct {
    sqlite3_stmt** stmt;
    const char* sql;
  } const kPrepare[] = {
      {&statements_->begin, "BEGIN IMMEDIATE"},
      {&statements_->commit, "COMMIT"},
      {&statements_->rollback, "ROLLBACK"},
      {&statements_->put_alert,
       "INSERT OR REPLACE INTO alerts (fingerprint, labels, annotations, starts_at, ends_at, "
       "updated_at, generator_url, ends_at_from_timeout) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"},
      {&statements_->delete_alert, "DELETE FROM alerts WHERE fingerprint = ?1"},
      {&statements_->load_alerts,
       "SELECT fingerprint, labels, annotations, starts_at, ends_at, updated_at, generator_url, "
       "ends_at_from_timeout FROM alerts"},
      {&statements_->put_nflog,
       "INSERT INTO nflog (key, group_key, receiver, integration, timestamp, expires_at, firing, "
       "resolved) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
       "ON CONFLICT (key) DO UPDATE SET group_key = excluded.group_key, "
       "receiver = excluded.receiver, integration = excluded.integration, "
       "timestamp = excluded.timestamp, expires_at = excluded.expires_at, "
       "firing = excluded.firing, resolved = excluded.resolved "
       "WHERE excluded.timestamp >= nflog.timestamp"},
      {&statements_->load_nflog,
       "SELECT key, group_key, receiver, integration, timestamp, expires_at, firing, resolved "
       "FROM nflog WHERE expires_at > ?1"},
      {&statements_->prune_nflog, "DELETE FROM nflog WHERE expires_at <= ?1"},
      {&statements_->prune_alerts, "DELETE FROM alerts WHERE ends_at <> ?1 AND ends_at <= ?2"},
  };
  for (const auto& prepare : kPrepare) {
    const int code =
        sqlite3_prepare_v3(db_, prepare.sql, -1, SQLITE_PREPARE_PERSISTENT, prepare.stmt, nullptr);
    if (code != SQLITE_OK) return Error(code, "prepare statement");
  }
  return absl::OkStatus();
}

absl::Status SqliteStateStore::StepDone(sqlite3_stmt* stmt, const char* operation) {
  ResetOnExit reset(stmt);
  const int code = sqlite3_step(stmt);
  if (code != SQLITE_DONE) return Error(code, operation);
  return absl::OkStatus();
}

template <typename Body>
absl::Status SqliteStateStore::InTransaction(const char* operation, Body body) {
  RETURN_IF_ERROR(StepDone(statements_->begin, operation));
  absl::Status status = body();
  if (status.ok()) status = StepDone(statements_->commit, operation);
  // Some errors (a full disk, an I/O error) end the transaction themselves.
  if (!status.ok() && sqlite3_get_autocommit(db_) == 0) {
    StepDone(statements_->rollback, operation).IgnoreError();
  }
  return status;
}

absl::Status SqliteStateStore::PutAlerts(const std::vector<alert::Alert>& alerts) {
  if (alerts.empty()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  return InTransaction("put alerts", [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::Status {
    sqlite3_stmt* stmt = statements_->put_alert;
    for (const alert::Alert& alert : alerts) {
      labels_buffer_.clear();
      AppendLabelSet(alert.labels, &labels_buffer_);
      annotations_buffer_.clear();
      AppendLabelSet(alert.annotations, &annotations_buffer_);
      sqlite3_bind_int64(stmt, 1, ToColumn(alert.fingerprint));
      BindBlob(stmt, 2, labels_buffer_);
      BindBlob(stmt, 3, annotations_buffer_);
      sqlite3_bind_int64(stmt, 4, EncodeTime(alert.starts_at));
      sqlite3_bind_int64(stmt, 5, EncodeTime(alert.ends_at));
      sqlite3_bind_int64(stmt, 6, EncodeTime(alert.updated_at));
      BindText(stmt, 7, alert.generator_url);
      sqlite3_bind_int(stmt, 8, alert.ends_at_from_timeout ? 1 : 0);
      RETURN_IF_ERROR(StepDone(stmt, "put alerts"));
    }
    return absl::OkStatus();
  });
}

absl::Status SqliteStateStore::DeleteAlerts(const std::vector<uint64_t>& fingerprints) {
  if (fingerprints.empty()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  return InTransaction("delete alerts", [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::Status {
    for (uint64_t fingerprint : fingerprints) {
      sqlite3_bind_int64(statements_->delete_alert, 1, ToColumn(fingerprint));
      RETURN_IF_ERROR(StepDone(statements_->delete_alert, "delete alerts"));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<alert::Alert>> SqliteStateStore::LoadAlerts() {
  absl::MutexLock lock(&mu_);
  sqlite3_stmt* stmt = statements_->load_alerts;
  ResetOnExit reset(stmt);
  std::vector<alert::Alert> alerts;
  int code;
  while ((code = sqlite3_step(stmt)) == SQLITE_ROW) {
    int64_t fingerprint = 0;
    const bool has_fingerprint = ColumnInt(stmt, 0, &fingerprint);
    auto corrupt = [&](absl::string_view what) {
      return absl::DataLossError(absl::StrCat(
          "storage: load alerts from ", path_, ": alert ",
          has_fingerprint ? alert::FingerprintToHex(FromColumn(fingerprint)) : "?", ": ", what));
    };
    absl::string_view labels, annotations, generator_url;
    int64_t starts_at = 0, ends_at = 0, updated_at = 0, ends_at_from_timeout = 0;
    if (!has_fingerprint || !ColumnBlob(stmt, 1, &labels) || !ColumnBlob(stmt, 2, &annotations) ||
        !ColumnInt(stmt, 3, &starts_at) || !ColumnInt(stmt, 4, &ends_at) ||
        !ColumnInt(stmt, 5, &updated_at) || !ColumnText(stmt, 6, &generator_url) ||
        !ColumnInt(stmt, 7, &ends_at_from_timeout)) {
      return corrupt("a column has the wrong type");
    }
    alert::Alert& alert = alerts.emplace_back();
    absl::StatusOr<alert::LabelSet> decoded = DecodeLabelSet(labels);
    if (!decoded.ok()) return corrupt(absl::StrCat("labels: ", decoded.status().message()));
    alert.labels = *std::move(decoded);
    decoded = DecodeLabelSet(annotations);
    if (!decoded.ok()) return corrupt(absl::StrCat("annotations: ", decoded.status().message()));
    alert.annotations = *std::move(decoded);
    alert.starts_at = DecodeTime(starts_at);
    alert.ends_at = DecodeTime(ends_at);
    alert.updated_at = DecodeTime(updated_at);
    alert.generator_url = std::string(generator_url);
    alert.fingerprint = FromColumn(fingerprint);
    alert.ends_at_from_timeout = ends_at_from_timeout != 0;
  }
  if (code != SQLITE_DONE) return Error(code, "load alerts");
  return alerts;
}

absl::Status SqliteStateStore::PutNotificationLog(const std::vector<nflog::Entry>& entries) {
  if (entries.empty()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  return InTransaction("put notification log",
                       [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::Status {
    sqlite3_stmt* stmt = statements_->put_nflog;
    std::string key;
    for (const nflog::Entry& entry : entries) {
      key = entry.key.Joined();
      labels_buffer_.clear();
      AppendFingerprints(entry.firing, &labels_buffer_);
      annotations_buffer_.clear();
      AppendFingerprints(entry.resolved, &annotations_buffer_);
      BindText(stmt, 1, key);
      BindText(stmt, 2, entry.key.group_key);
      BindText(stmt, 3, entry.key.receiver);
      BindText(stmt, 4, entry.key.integration);
      sqlite3_bind_int64(stmt, 5, EncodeTime(entry.timestamp));
      sqlite3_bind_int64(stmt, 6, EncodeTime(entry.expires_at));
      BindBlob(stmt, 7, labels_buffer_);
      BindBlob(stmt, 8, annotations_buffer_);
      RETURN_IF_ERROR(StepDone(stmt, "put notification log"));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<nflog::Entry>> SqliteStateStore::LoadNotificationLog(absl::Time now) {
  absl::MutexLock lock(&mu_);
  sqlite3_stmt* stmt = statements_->load_nflog;
  ResetOnExit reset(stmt);
  sqlite3_bind_int64(stmt, 1, EncodeTime(now));
  std::vector<nflog::Entry> entries;
  int code;
  while ((code = sqlite3_step(stmt)) == SQLITE_ROW) {
    absl::string_view key, group_key, receiver, integration, firing, resolved;
    const bool has_key = ColumnText(stmt, 0, &key);
    auto corrupt = [&](absl::string_view what) {
      return absl::DataLossError(
          absl::StrCat("storage: load notification log from ", path_, ": entry '",
                       has_key ? absl::CHexEscape(key) : "?", "': ", what));
    };
    int64_t timestamp = 0, expires_at = 0;
    if (!has_key || !ColumnText(stmt, 1, &group_key) || !ColumnText(stmt, 2, &receiver) ||
        !ColumnText(stmt, 3, &integration) || !ColumnInt(stmt, 4, &timestamp) ||
        !ColumnInt(stmt, 5, &expires_at) || !ColumnBlob(stmt, 6, &firing) ||
        !ColumnBlob(stmt, 7, &resolved)) {
      return corrupt("a column has the wrong type");
    }
    nflog::Entry& entry = entries.emplace_back();
    entry.key.group_key = std::string(group_key);
    entry.key.receiver = std::string(receiver);
    entry.key.integration = std::string(integration);
    if (entry.key.Joined() != key) return corrupt("key does not match its columns");
    absl::StatusOr<std::vector<uint64_t>> fingerprints = DecodeFingerprints(firing);
    if (!fingerprints.ok()) return corrupt(absl::StrCat("firing: ", fingerprints.status().message()));
    entry.firing = *std::move(fingerprints);
    fingerprints = DecodeFingerprints(resolved);
    if (!fingerprints.ok()) {
      return corrupt(absl::StrCat("resolved: ", fingerprints.status().message()));
    }
    entry.resolved = *std::move(fingerprints);
    entry.timestamp = DecodeTime(timestamp);
    entry.expires_at = DecodeTime(expires_at);
  }
  if (code != SQLITE_DONE) return Error(code, "load notification log");
  return entries;
}

absl::Status SqliteStateStore::CheckWritable() {
  absl::MutexLock lock(&mu_);
  // Rewriting the schema version with its own value dirties the header page, so the commit
  // really appends to the WAL and syncs it: a full disk or an I/O error shows here.
  const std::string rewrite = absl::StrCat("PRAGMA user_version=", kSchemaVersion);
  return InTransaction("check writable", [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return Exec(rewrite.c_str(), "rewrite schema version");
  });
}

absl::Status SqliteStateStore::Prune(absl::Time now, absl::Time resolved_before) {
  absl::MutexLock lock(&mu_);
  return InTransaction("prune", [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::Status {
    sqlite3_bind_int64(statements_->prune_nflog, 1, EncodeTime(now));
    RETURN_IF_ERROR(StepDone(statements_->prune_nflog, "prune notification log"));
    sqlite3_bind_int64(statements_->prune_alerts, 1, kUnsetTime);
    sqlite3_bind_int64(statements_->prune_alerts, 2, EncodeTime(resolved_before));
    return StepDone(statements_->prune_alerts, "prune alerts");
  });
}

}  // namespace wecom_notify::storage
