// File: libs/storage/state_store.h
//
// StateStore is notifyd's durable state: the alerts it accepted and the notification log. It is
// what lets a restart — clean or kill -9 — deliver every notification that was due and none
// that was already delivered. The embedded implementation is SQLite in WAL mode under
// --storage.path (SqliteStateStore); the interface leaves room for a store shared by replicas.
//
// Durability contract: when a write method returns OK, the data survives a process kill
// (SQLite WAL with synchronous=NORMAL survives process crashes; an OS crash or power loss may
// lose the last transactions unless synchronous=FULL is chosen — the trade-off is documented in
// sqlite_state_store.h). A write that returns an error stored nothing of its batch.
//
// Cost contract: writes are meant to be batched. One call = one transaction, so callers
// coalesce many alerts per call (see GroupCommitter) instead of one fsync per alert.
//
// Thread-safety: implementations are safe for concurrent use.

#ifndef WECOM_NOTIFY_LIBS_STORAGE_STATE_STORE_H_
#define WECOM_NOTIFY_LIBS_STORAGE_STATE_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "libs/alert/alert.h"
#include "libs/alert/annotation_source.h"
#include "libs/nflog/notification_log.h"

namespace wecom_notify::storage {

class StateStore : public alert::AnnotationSource {
 public:
  virtual ~StateStore() = default;

  // Inserts or replaces alerts by fingerprint (the caller stores the merged alert), all in one
  // transaction. Errors: Unavailable / Internal when the database cannot be written; then
  // nothing of the batch is stored.
  virtual absl::Status PutAlerts(const std::vector<alert::Alert>& alerts) = 0;

  // Deletes alerts by fingerprint, in one transaction.
  virtual absl::Status DeleteAlerts(const std::vector<uint64_t>& fingerprints) = 0;

  // Every stored alert, in no particular order. Errors: DataLoss when a stored record does
  // not decode (the message names it); Unavailable / Internal for database errors.
  virtual absl::StatusOr<std::vector<alert::Alert>> LoadAlerts() = 0;

  // Whether ReadAnnotations (alert::AnnotationSource) serves what PutAlerts stored; the
  // holder of the alerts then keeps no annotations of its own (store::AlertStore).
  virtual bool ServesAnnotations() const { return false; }

  // alert::AnnotationSource, from the versions stored. Errors: Unimplemented unless
  // ServesAnnotations(); otherwise as LoadAlerts.
  absl::Status ReadAnnotations(absl::Span<alert::Alert> alerts) override {
    (void)alerts;
    return absl::UnimplementedError("this state store does not serve annotations");
  }

  // Inserts or replaces notification-log entries by key (Key::Joined()), in one transaction.
  // An entry older (by timestamp) than the one stored for its key is ignored, as
  // nflog::NotificationLog::Record ignores it: a late writer never rolls the log back.
  virtual absl::Status PutNotificationLog(const std::vector<nflog::Entry>& entries) = 0;

  // Every stored notification-log entry not expired at `now` (expires_at > now, as
  // NotificationLog::Find). Errors as LoadAlerts.
  virtual absl::StatusOr<std::vector<nflog::Entry>> LoadNotificationLog(absl::Time now) = 0;

  // Deletes notification-log entries expired at `now` (expires_at <= now) and, of the alerts
  // named in `resolved`, those whose stored version is resolved at or before `resolved_before`
  // (Alert::ResolvedAt(resolved_before); an alert with unset ends_at is never pruned). Returns
  // OK or the database error; an implementation may split the work into several transactions
  // (each deletion stands alone), and then an error leaves the earlier ones done.
  //
  // The caller names the candidates — what it collected from memory with the same bound
  // (store::AlertStore::CollectResolved) — because a store need not keep every alert's ends_at
  // in memory, and finding them in its file would be a scan of every alert. Each is checked
  // against its stored version, so one stored again since it was collected is kept. A failed
  // Prune leaves its candidates stored; they are loaded at the next start and collected again.
  virtual absl::Status Prune(absl::Time now, absl::Time resolved_before,
                             const std::vector<uint64_t>& resolved) = 0;

  // Writes and commits a change that leaves the stored state as it was, so a caller can learn
  // whether the store takes writes again after a failure without waiting for real traffic
  // (readiness probes stop that traffic). Returns OK or the database error.
  virtual absl::Status CheckWritable() = 0;

  // Does deferred housekeeping that keeps the write path cheap, when it is due, and returns at
  // once otherwise (SqliteStateStore folds its append-only alert log here). It may pause other
  // calls for a while, so callers run it where a pause costs least — GroupCommitter after a
  // batch has been acknowledged. Acknowledged data never depends on it. Returns OK or the
  // database error. The default has nothing to do.
  virtual absl::Status Compact() { return absl::OkStatus(); }
};

}  // namespace wecom_notify::storage

#endif  // WECOM_NOTIFY_LIBS_STORAGE_STATE_STORE_H_
