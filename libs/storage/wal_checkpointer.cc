#include "libs/storage/wal_checkpointer.h"

#include <pthread.h>
#include <sqlite3.h>

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/logging/logging.h"
#include "libs/storage/sqlite_busy.h"
#include "libs/storage/sqlite_status.h"

namespace wecom_notify::storage {
namespace {

// Catch-up passes before a RESTART, and the frames (~1 MiB) it may be left to copy.
constexpr int kMaxCatchUpPasses = 4;
constexpr int kFramesLeftForRestart = 256;

}  // namespace

absl::StatusOr<std::unique_ptr<WalCheckpointer>> WalCheckpointer::Start(const std::string& path,
                                                                         const Options& options) {
  absl::StatusOr<sqlite3*> opened =
      OpenConnection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, " for checkpoints");
  if (!opened.ok()) return opened.status();
  sqlite3* const db = *opened;
  std::unique_ptr<WalCheckpointer> checkpointer(new WalCheckpointer(db, options));
  // Reading the mode also makes the connection read the database header: until it has, it
  // does not know the file is in WAL mode and its checkpoints do nothing.
  std::string mode;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
    mode = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  if (mode != "wal") {
    return absl::FailedPreconditionError(
        absl::StrCat("storage: ", path, " is not in WAL mode (journal_mode '", mode,
                     "'): ", sqlite3_errmsg(db)));
  }
  if (options.interval != absl::InfiniteDuration()) {
    checkpointer->thread_ = std::thread([raw = checkpointer.get()] { raw->Run(); });
    pthread_setname_np(checkpointer->thread_.native_handle(), "wal-checkpoint");
  }
  return checkpointer;
}

WalCheckpointer::WalCheckpointer(sqlite3* db, const Options& options)
    : options_(options), db_(db) {
  SetPollingBusyHandler(db, &options_.busy_timeout);
}

WalCheckpointer::~WalCheckpointer() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  absl::MutexLock lock(&mu_);
  sqlite3_close_v2(db_);
}

absl::Status WalCheckpointer::CheckpointNow() {
  absl::MutexLock lock(&mu_);
  int wal_frames = 0;
  int checkpointed = 0;
  // PASSIVE first, even when the WAL is long: it copies the bulk without holding writers off.
  // Before a RESTART, passes repeat while they shrink what is left to copy (the frames
  // written during the previous pass), so the RESTART, which holds writers off while it
  // copies the rest, finds little.
  int code = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &wal_frames,
                                       &checkpointed);
  bool restarted = false;
  for (int pass = 0; pass < kMaxCatchUpPasses && code == SQLITE_OK &&
                     wal_frames >= options_.restart_at_frames &&
                     wal_frames - checkpointed > kFramesLeftForRestart;
       ++pass) {
    code = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &wal_frames,
                                     &checkpointed);
  }
  if (code == SQLITE_OK && wal_frames >= options_.restart_at_frames) {
    code = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_RESTART, &wal_frames,
                                     &checkpointed);
    restarted = true;
  }
  if (code != SQLITE_OK) {
    ++stats_.failures;
    return absl::Status(StatusCodeForSqlite(code),
                        absl::StrCat("storage: checkpoint ", sqlite3_db_filename(db_, "main"),
                                     ": ", sqlite3_errmsg(db_), " (sqlite code ", code, ")"));
  }
  ++stats_.checkpoints;
  if (restarted) ++stats_.restarts;
  stats_.last_wal_frames = wal_frames;
  stats_.last_checkpointed_frames = checkpointed;
  return absl::OkStatus();
}

WalCheckpointer::Stats WalCheckpointer::GetStats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void WalCheckpointer::Run() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.interval)) return;
    }
    if (absl::Status status = CheckpointNow(); !status.ok()) {
      logging::Warn("WAL checkpoint failed; retrying at the next interval",
                    {{"err", status.message()}});
    }
  }
}

}  // namespace wecom_notify::storage
