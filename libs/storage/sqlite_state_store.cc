// File: libs/storage/sqlite_state_store.cc

#include "libs/storage/sqlite_state_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <limits>
#include <numeric>
#include <optional>
#include <system_error>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "libs/alert/fingerprint.h"
#include "libs/common/status_macros.h"
#include "libs/storage/codec.h"
#include "libs/storage/sqlite_busy.h"
#include "libs/storage/sqlite_columns.h"
#include "libs/storage/sqlite_status.h"

namespace wecom_notify::storage {
namespace {

constexpr int64_t kUnsetTime = std::numeric_limits<int64_t>::min();
// A seq bound past every row of the log.
constexpr int64_t kWholeLog = std::numeric_limits<int64_t>::max();
// The seq of a pending change that removes the alert (real seqs are positive).
constexpr int64_t kRemoved = -1;

// Every version of every alert, in the order written; `removed` = 1 marks a removal (the other
// columns then hold empty values).
constexpr const char* kCreateAlertLog =
    "CREATE TABLE alert_log ("
    "  seq INTEGER PRIMARY KEY,"  // the rowid: SQLite assigns max + 1, so rows append in order
    "  fingerprint INTEGER NOT NULL,"  // uint64 bit-cast to int64
    "  labels BLOB NOT NULL,"
    "  annotations BLOB NOT NULL,"
    "  starts_at INTEGER NOT NULL,"
    "  ends_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  generator_url TEXT NOT NULL,"
    "  ends_at_from_timeout INTEGER NOT NULL,"
    "  removed INTEGER NOT NULL"
    ") STRICT";

constexpr const char* kCreateNotificationLog =
    "CREATE TABLE nflog ("
    "  key TEXT PRIMARY KEY,"  // nflog::Key::Joined()
    "  group_key TEXT NOT NULL,"
    "  receiver TEXT NOT NULL,"
    "  integration TEXT NOT NULL,"
    "  timestamp INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  firing BLOB NOT NULL,"
    "  resolved BLOB NOT NULL"
    ") STRICT, WITHOUT ROWID";

// STRICT makes SQLite reject a value of the wrong type on write; reads still check types, since
// the file may have been edited or damaged.
constexpr const char* kCreateSchema[] = {kCreateAlertLog, kCreateNotificationLog};

// Version 1 kept one row per alert in `alerts`, keyed by fingerprint; its rows become the log.
constexpr const char* kUpgradeFromVersion1[] = {
    kCreateAlertLog,
    "INSERT INTO alert_log (fingerprint, labels, annotations, starts_at, ends_at, updated_at, "
    "generator_url, ends_at_from_timeout, removed) SELECT fingerprint, labels, annotations, "
    "starts_at, ends_at, updated_at, generator_url, ends_at_from_timeout, 0 FROM alerts",
    "DROP TABLE alerts",
};

int64_t ToColumn(uint64_t fingerprint) { return static_cast<int64_t>(fingerprint); }
uint64_t FromColumn(int64_t value) { return static_cast<uint64_t>(value); }

void BindText(sqlite3_stmt* stmt, int index, absl::string_view text) {
  // As for blobs: an empty view may carry a null pointer, which would bind NULL.
  sqlite3_bind_text(stmt, index, text.empty() ? "" : text.data(), static_cast<int>(text.size()),
                    SQLITE_STATIC);
}

void BindBlob(sqlite3_stmt* stmt, int index, absl::string_view blob) {
  // A non-null pointer even for an empty blob: a null one would bind NULL.
  static const char kEmpty = 0;
  sqlite3_bind_blob(stmt, index, blob.empty() ? &kEmpty : blob.data(),
                    static_cast<int>(blob.size()), SQLITE_STATIC);
}

absl::Status FirstError(absl::Status first, absl::Status second) {
  return first.ok() ? second : first;
}

// Decodes the current row of a SELECT of the alerts or alert_log columns, in the alerts
// table's column order. Errors: DataLoss naming the alert's fingerprint.
absl::StatusOr<alert::Alert> DecodeAlertRow(sqlite3_stmt* stmt) {
  int64_t fingerprint = 0;
  const bool has_fingerprint = ColumnInt(stmt, 0, &fingerprint);
  auto corrupt = [&](absl::string_view what) {
    return absl::DataLossError(absl::StrCat(
        "alert ", has_fingerprint ? alert::FingerprintToHex(FromColumn(fingerprint)) : "?", ": ",
        what));
  };
  absl::string_view labels, annotations, generator_url;
  int64_t starts_at = 0, ends_at = 0, updated_at = 0, ends_at_from_timeout = 0;
  if (!has_fingerprint || !ColumnBlob(stmt, 1, &labels) || !ColumnBlob(stmt, 2, &annotations) ||
      !ColumnInt(stmt, 3, &starts_at) || !ColumnInt(stmt, 4, &ends_at) ||
      !ColumnInt(stmt, 5, &updated_at) || !ColumnText(stmt, 6, &generator_url) ||
      !ColumnInt(stmt, 7, &ends_at_from_timeout)) {
    return corrupt("a column has the wrong type");
  }
  alert::Alert alert;
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
  return alert;
}

}  // namespace

struct SqliteStateStore::Statements {
  sqlite3_stmt* begin = nullptr;
  sqlite3_stmt* commit = nullptr;
  sqlite3_stmt* rollback = nullptr;
  sqlite3_stmt* append_alert = nullptr;
  sqlite3_stmt* append_removal = nullptr;
  sqlite3_stmt* copy_forward = nullptr;
  sqlite3_stmt* trim_log = nullptr;
  sqlite3_stmt* log_bounds = nullptr;
  sqlite3_stmt* scan_versions = nullptr;
  sqlite3_stmt* read_ends_at = nullptr;
  sqlite3_stmt* load_alerts = nullptr;
  sqlite3_stmt* put_nflog = nullptr;
  sqlite3_stmt* load_nflog = nullptr;
  sqlite3_stmt* prune_nflog = nullptr;

  ~Statements() {
    for (sqlite3_stmt* stmt :
         {begin, commit, rollback, append_alert, append_removal, copy_forward, trim_log, log_bounds,
          scan_versions, read_ends_at, load_alerts, put_nflog, load_nflog, prune_nflog}) {
      sqlite3_finalize(stmt);  // a no-op for nullptr
    }
  }
};

SqliteStateStore::SqliteStateStore(std::string path, sqlite3* db)
    : path_(std::move(path)), db_(db), statements_(std::make_unique<Statements>()) {}

SqliteStateStore::~SqliteStateStore() {
  // First, so that the main connection is the last one and its close checkpoints the WAL.
  checkpointer_.reset();
  reader_.reset();
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
  absl::StatusOr<sqlite3*> db =
      OpenConnection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, "");
  if (!db.ok()) return db.status();
  std::unique_ptr<SqliteStateStore> store(new SqliteStateStore(std::move(path), *db));
  {
    absl::MutexLock lock(&store->mu_);
    RETURN_IF_ERROR(store->Initialize(options));
  }
  auto reader = AnnotationReader::Open(store->path_, options.busy_timeout);
  if (!reader.ok()) return reader.status();
  store->reader_ = *std::move(reader);
  if (options.checkpoint_interval != absl::ZeroDuration()) {
    WalCheckpointer::Options checkpoints;
    checkpoints.interval = options.checkpoint_interval;
    auto checkpointer = WalCheckpointer::Start(store->path_, checkpoints);
    if (!checkpointer.ok()) return checkpointer.status();
    store->checkpointer_ = *std::move(checkpointer);
  }
  return store;
}

absl::Status SqliteStateStore::Error(int code, const char* operation) {
  return absl::Status(StatusCodeForSqlite(code),
                      absl::StrCat("storage: ", operation, " on ", path_, ": ",
                                   sqlite3_errmsg(db_), " (sqlite code ", code, ")"));
}

absl::Status SqliteStateStore::Exec(const char* sql, const char* operation) {
  const int code = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (code != SQLITE_OK) return Error(code, operation);
  return absl::OkStatus();
}

absl::Status SqliteStateStore::Initialize(const Options& options) {
  sqlite3_extended_result_codes(db_, 1);
  busy_timeout_ = options.busy_timeout;
  SetPollingBusyHandler(db_, &busy_timeout_);

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
  // A 256 KiB page cache instead of SQLite's default 2 MiB: the store appends at the log's end
  // and reads it sequentially (at open, in compaction), so the pages it revisits are the
  // B-trees' right-most paths and the notification log's; the kernel caches the file anyway.
  // At 100k alerts that is 1.8 MiB less RSS with the same ingest rate (docs/performance.md).
  RETURN_IF_ERROR(Exec("PRAGMA cache_size=-256", "set cache_size"));
  if (options.checkpoint_interval != absl::ZeroDuration()) {
    RETURN_IF_ERROR(Exec("PRAGMA wal_autocheckpoint=0", "turn off automatic checkpoints"));
  }

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
    if (version == 1) {
      for (const char* sql : kUpgradeFromVersion1) {
        RETURN_IF_ERROR(Exec(sql, "upgrade schema from version 1"));
      }
    } else if (version == 0) {
      for (const char* sql : kCreateSchema) RETURN_IF_ERROR(Exec(sql, "create schema"));
    } else {
      return version;
    }
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
      {&statements_->append_alert,
       "INSERT INTO alert_log (fingerprint, labels, annotations, starts_at, ends_at, "
       "updated_at, generator_url, ends_at_from_timeout, removed) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0)"},
      {&statements_->append_removal,
       "INSERT INTO alert_log (fingerprint, labels, annotations, starts_at, ends_at, "
       "updated_at, generator_url, ends_at_from_timeout, removed) "
       "VALUES (?1, x'', x'', 0, 0, 0, '', 0, 1)"},
      {&statements_->copy_forward,
       "INSERT INTO alert_log (fingerprint, labels, annotations, starts_at, ends_at, "
       "updated_at, generator_url, ends_at_from_timeout, removed) "
       "SELECT fingerprint, labels, annotations, starts_at, ends_at, updated_at, generator_url, "
       "ends_at_from_timeout, removed FROM alert_log WHERE seq = ?1"},
      {&statements_->trim_log, "DELETE FROM alert_log WHERE seq <= ?1"},
      // Two subqueries: SQLite answers a lone min() or max() from the b-tree's edge, but scans
      // the whole table for both in one SELECT.
      {&statements_->log_bounds,
       "SELECT (SELECT min(seq) FROM alert_log), (SELECT max(seq) FROM alert_log)"},
      {&statements_->scan_versions,
       "SELECT seq, fingerprint, removed FROM alert_log WHERE seq <= ?1 ORDER BY seq"},
      {&statements_->read_ends_at, "SELECT ends_at FROM alert_log WHERE seq = ?1"},
      {&statements_->load_alerts,
       "SELECT fingerprint, labels, annotations, starts_at, ends_at, updated_at, generator_url, "
       "ends_at_from_timeout, seq FROM alert_log WHERE removed = 0 ORDER BY seq"},
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
  };
  for (const auto& prepare : kPrepare) {
    const int code =
        sqlite3_prepare_v3(db_, prepare.sql, -1, SQLITE_PREPARE_PERSISTENT, prepare.stmt, nullptr);
    if (code != SQLITE_OK) return Error(code, "prepare statement");
  }
  compact_at_garbage_rows_ = options.compact_at_garbage_rows;
  compact_chunk_rows_ = std::max<std::size_t>(options.compact_chunk_rows, 1);
  RETURN_IF_ERROR(ReadLogBounds());
  RETURN_IF_ERROR(CheckLogSpan(0, "open"));
  return IndexLog();
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
  RETURN_IF_ERROR(CheckLogSpan(alerts.size(), "put alerts"));
  changes_.clear();
  const absl::Status status =
      InTransaction("put alerts", [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::Status {
        sqlite3_stmt* stmt = statements_->append_alert;
        for (const alert::Alert& alert : alerts) {
          labels_buffer_.clear();
          AppendLabelSet(alert.labels, &labels_buffer_);
          annotations_buffer_.clear();
          AppendLabelSet(alert.annotations, &annotations_buffer_);
          const int64_t ends_at = EncodeTime(alert.ends_at);
          sqlite3_bind_int64(stmt, 1, ToColumn(alert.fingerprint));
          BindBlob(stmt, 2, labels_buffer_);
          BindBlob(stmt, 3, annotations_buffer_);
          sqlite3_bind_int64(stmt, 4, EncodeTime(alert.starts_at));
          sqlite3_bind_int64(stmt, 5, ends_at);
          sqlite3_bind_int64(stmt, 6, EncodeTime(alert.updated_at));
          BindText(stmt, 7, alert.generator_url);
          sqlite3_bind_int(stmt, 8, alert.ends_at_from_timeout ? 1 : 0);
          RETURN_IF_ERROR(StepDone(stmt, "put alerts"));
          changes_.push_back({alert.fingerprint, sqlite3_last_insert_rowid(db_)});
        }
        return absl::OkStatus();
      });
  return Settle(status);
}

absl::Status SqliteStateStore::AppendRemovals(const std::vector<uint64_t>& fingerprints,
                                              const char* operation) {
  for (uint64_t fingerprint : fingerprints) {
    sqlite3_bind_int64(statements_->append_removal, 1, ToColumn(fingerprint));
    RETURN_IF_ERROR(StepDone(statements_->append_removal, operation));
    changes_.push_back({fingerprint, kRemoved});
  }
  return absl::OkStatus();
}

absl::Status SqliteStateStore::Settle(absl::Status status) {
  if (status.ok()) {
    for (const auto& [fingerprint, seq] : changes_) {
      if (seq == kRemoved) {
        current_.Erase(fingerprint);
      } else {
        current_.Set(fingerprint, seq);
      }
    }
  }
  changes_.clear();
  return FirstError(std::move(status), ReadLogBounds());
}

absl::Status SqliteStateStore::ReadLogBounds() {
  sqlite3_stmt* stmt = statements_->log_bounds;
  ResetOnExit reset(stmt);
  const int code = sqlite3_step(stmt);
  if (code != SQLITE_ROW) return Error(code, "read alert log bounds");
  int64_t first = 0, last = 0;
  // Rows are appended at the end and removed from the start only, so the range is dense.
  if (ColumnInt(stmt, 0, &first) && ColumnInt(stmt, 1, &last) && last >= first) {
    log_first_seq_ = first;
    log_rows_ = static_cast<std::size_t>(last - first + 1);
  } else {
    log_first_seq_ = 0;
    log_rows_ = 0;
  }
  return absl::OkStatus();
}

absl::Status SqliteStateStore::CheckLogSpan(std::size_t more_rows, const char* operation) const {
  if (log_rows_ + more_rows < static_cast<std::size_t>(VersionIndex::kMaxSpan)) {
    return absl::OkStatus();
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("storage: ", operation, " in ", path_, ": the alert log would span ",
                   log_rows_ + more_rows, " rows, more than its index tells apart (2^32)"));
}

absl::Status SqliteStateStore::IndexLog() {
  current_.Clear();
  sqlite3_stmt* stmt = statements_->scan_versions;
  ResetOnExit reset(stmt);
  sqlite3_bind_int64(stmt, 1, kWholeLog);
  int code;
  while ((code = sqlite3_step(stmt)) == SQLITE_ROW) {
    int64_t seq = 0, fingerprint = 0, removed = 0;
    if (!ColumnInt(stmt, 0, &seq) || !ColumnInt(stmt, 1, &fingerprint) ||
        !ColumnInt(stmt, 2, &removed)) {
      return absl::DataLossError(absl::StrCat("storage: read alert log of ", path_, ": row ",
                                              seq, ": a column has the wrong type"));
    }
    if (removed != 0) {
      current_.Erase(FromColumn(fingerprint));
    } else {
      current_.Set(FromColumn(fingerprint), seq);
    }
  }
  if (code != SQLITE_DONE) return Error(code, "read alert log");
  return absl::OkStatus();
}

absl::Status SqliteStateStore::Compact() {
  absl::MutexLock lock(&mu_);
  const std::size_t garbage = log_rows_ - std::min(log_rows_, current_.size());
  if (garbage == 0 || garbage < std::max(compact_at_garbage_rows_, current_.size())) {
    return absl::OkStatus();
  }
  const int64_t last_seq = log_first_seq_ + static_cast<int64_t>(compact_chunk_rows_) - 1;
  // The rows of the chunk that hold an alert's current version; everything else in it is
  // superseded or a removal whose older versions all lie in the chunk too.
  struct CurrentRow {
    int64_t seq;
    uint64_t fingerprint;
  };
  std::vector<CurrentRow> current_rows;
  {
    sqlite3_stmt* stmt = statements_->scan_versions;
    ResetOnExit reset(stmt);
    sqlite3_bind_int64(stmt, 1, last_seq);
    int code;
    while ((code = sqlite3_step(stmt)) == SQLITE_ROW) {
      const int64_t seq = sqlite3_column_int64(stmt, 0);
      const uint64_t fingerprint = FromColumn(sqlite3_column_int64(stmt, 1));
      if (current_.Find(fingerprint) == seq) {
        current_rows.push_back({seq, fingerprint});
      }
    }
    if (code != SQLITE_DONE) return Error(code, "compact alert log");
  }
  changes_.clear();
  const absl::Status status =
      InTransaction("compact alert log", [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        for (const CurrentRow& row : current_rows) {
          sqlite3_bind_int64(statements_->copy_forward, 1, row.seq);
          RETURN_IF_ERROR(StepDone(statements_->copy_forward, "compact alert log"));
          changes_.push_back({row.fingerprint, sqlite3_last_insert_rowid(db_)});
        }
        sqlite3_bind_int64(statements_->trim_log, 1, last_seq);
        return StepDone(statements_->trim_log, "compact alert log");
      });
  return Settle(status);
}

absl::Status SqliteStateStore::DeleteAlerts(const std::vector<uint64_t>& fingerprints) {
  if (fingerprints.empty()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(CheckLogSpan(fingerprints.size(), "delete alerts"));
  changes_.clear();
  return Settle(InTransaction("delete alerts", [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return AppendRemovals(fingerprints, "delete alerts");
  }));
}

absl::StatusOr<std::vector<alert::Alert>> SqliteStateStore::LoadAlerts() {
  absl::MutexLock lock(&mu_);
  std::vector<alert::Alert> alerts;
  alerts.reserve(current_.size());
  sqlite3_stmt* stmt = statements_->load_alerts;
  ResetOnExit reset(stmt);
  int code;
  while ((code = sqlite3_step(stmt)) == SQLITE_ROW) {
    // Superseded versions are skipped before decoding: a damaged old row does not matter.
    if (current_.Find(FromColumn(sqlite3_column_int64(stmt, 0))) != sqlite3_column_int64(stmt, 8)) {
      continue;
    }
    absl::StatusOr<alert::Alert> alert = DecodeAlertRow(stmt);
    if (!alert.ok()) {
      return absl::DataLossError(
          absl::StrCat("storage: load alerts from ", path_, ": ", alert.status().message()));
    }
    alerts.push_back(*std::move(alert));
  }
  if (code != SQLITE_DONE) return Error(code, "load alerts");
  return alerts;
}

void SqliteStateStore::LookUpRows(absl::Span<const uint32_t> which, absl::Span<alert::Alert> alerts,
                                  std::vector<AnnotationReader::Row>* rows) {
  for (const uint32_t i : which) {
    const std::optional<int64_t> current = current_.Find(alerts[i].fingerprint);
    if (current.has_value()) {
      rows->push_back({*current, i});
    } else {
      alerts[i].annotations = alert::LabelSet();
    }
  }
}

absl::Status SqliteStateStore::ReadAnnotations(absl::Span<alert::Alert> alerts) {
  std::vector<uint32_t> which(alerts.size());
  std::iota(which.begin(), which.end(), 0u);
  std::vector<AnnotationReader::Row> rows;
  rows.reserve(which.size());
  for (std::size_t begin = 0; begin < which.size(); begin += kLookupChunk) {
    absl::MutexLock lock(&mu_);
    LookUpRows(absl::MakeConstSpan(which).subspan(begin, kLookupChunk), alerts, &rows);
  }
  auto by_seq = [](const AnnotationReader::Row& a, const AnnotationReader::Row& b) {
    return a.seq < b.seq;
  };
  std::sort(rows.begin(), rows.end(), by_seq);
  std::vector<uint32_t> moved;
  RETURN_IF_ERROR(reader_->Read(rows, alerts, &moved));
  if (moved.empty()) return absl::OkStatus();
  // Compaction copied these rows forward after they were looked up. Looked up again and read
  // with the lock held, they cannot move in between: every row the index names is committed.
  absl::MutexLock lock(&mu_);
  rows.clear();
  LookUpRows(moved, alerts, &rows);
  std::sort(rows.begin(), rows.end(), by_seq);
  std::vector<uint32_t> gone;
  RETURN_IF_ERROR(reader_->Read(rows, alerts, &gone));
  if (!gone.empty()) {
    return absl::InternalError(
        absl::StrCat("storage: read annotations from ", path_, ": alert ",
                     alert::FingerprintToHex(alerts[gone.front()].fingerprint),
                     ": the row the index names is missing"));
  }
  return absl::OkStatus();
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

absl::Status SqliteStateStore::Prune(absl::Time now, absl::Time resolved_before,
                                     const std::vector<uint64_t>& resolved) {
  {
    absl::MutexLock lock(&mu_);
    changes_.clear();
    RETURN_IF_ERROR(Settle(InTransaction(
        "prune notification log", [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::Status {
          sqlite3_bind_int64(statements_->prune_nflog, 1, EncodeTime(now));
          return StepDone(statements_->prune_nflog, "prune notification log");
        })));
  }
  // A chunk at a time, each checked and removed under one hold of the lock (so a candidate
  // stored again meanwhile is seen), with commits in between: alerts that resolved together
  // (an outage's end) are pruned together, and must not stall ingest for all of them at once.
  const int64_t cutoff = EncodeTime(resolved_before);
  std::vector<uint64_t> prunable;
  for (std::size_t begin = 0; begin < resolved.size(); begin += kPruneChunk) {
    const std::size_t end = std::min(resolved.size(), begin + kPruneChunk);
    absl::MutexLock lock(&mu_);
    prunable.clear();
    for (std::size_t i = begin; i < end; ++i) {
      const std::optional<int64_t> current = current_.Find(resolved[i]);
      if (!current.has_value()) continue;
      sqlite3_stmt* stmt = statements_->read_ends_at;
      ResetOnExit reset(stmt);
      sqlite3_bind_int64(stmt, 1, *current);
      const int code = sqlite3_step(stmt);
      if (code != SQLITE_ROW) return Error(code, "prune alerts");
      const int64_t ends_at = sqlite3_column_int64(stmt, 0);
      if (ends_at != kUnsetTime && ends_at <= cutoff) prunable.push_back(resolved[i]);
    }
    if (prunable.empty()) continue;
    RETURN_IF_ERROR(CheckLogSpan(prunable.size(), "prune alerts"));
    changes_.clear();
    RETURN_IF_ERROR(Settle(
        InTransaction("prune alerts", [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::Status {
          return AppendRemovals(prunable, "prune alerts");
        })));
  }
  return absl::OkStatus();
}

}  // namespace wecom_notify::storage
