// File: libs/nflog/notification_log.h
//
// The notification log: what was last delivered for each (group key, receiver, integration),
// and the rule (Alertmanager's DedupStage "needsUpdate") that decides from it whether a flush of
// a group must notify. It is what makes wecom-notify send one message per change instead of one
// per flush, and what keeps repeat_interval across restarts once persisted.
//
// Alerts in the log are identified by their fingerprint (alert::Fingerprint), so an entry is a
// few integers per alert however large the alerts are.
//
// Thread-safety: NotificationLog is not thread-safe; its owner serializes access.

#ifndef WECOM_NOTIFY_LIBS_NFLOG_NOTIFICATION_LOG_H_
#define WECOM_NOTIFY_LIBS_NFLOG_NOTIFICATION_LOG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"

namespace wecom_notify::nflog {

struct Key {
  std::string group_key;    // Alertmanager's "<route key>:<group labels>"
  std::string receiver;     // receiver name
  std::string integration;  // e.g. "wecom_app/0", "wecom_robot/1"

  // One string, used as the map key and the storage primary key.
  std::string Joined() const { return group_key + "\x1f" + receiver + "\x1f" + integration; }
};

struct Entry {
  Key key;
  // When the last successful notification completed.
  absl::Time timestamp;
  // Fingerprints of the firing and resolved alerts it carried, sorted ascending.
  std::vector<uint64_t> firing;
  std::vector<uint64_t> resolved;
  // When the entry may be forgotten: 2 × repeat_interval after timestamp, as Alertmanager
  // keeps it; after that the next flush counts as a first notification.
  absl::Time expires_at;
};

enum class Reason {
  kFirstNotification,
  kNewAlertsAdded,
  kSomeAlertsResolved,
  kAllAlertsResolved,
  kRepeatIntervalElapsed,
};
const char* ReasonName(Reason reason);

// NeedsUpdate()
//
// Alertmanager's decision table, in its order. `firing` and `resolved` are the sorted
// fingerprints of the flush; `entry` is the last delivery (nullptr when none). Returns the reason
// to notify, or nullopt to suppress:
//   no entry, firing alerts            → first notification
//   no entry, only resolved            → suppress (the receiver never heard of them)
//   firing ⊄ entry.firing              → new alerts (first notification if entry had none)
//   no firing, entry had firing        → all resolved (even without send_resolved: clears it)
//   no firing, entry had none          → suppress
//   send_resolved, resolved ⊄ entry.resolved → some resolved
//   entry.timestamp < now − repeat     → repeat interval elapsed
//   otherwise                          → suppress
std::optional<Reason> NeedsUpdate(const Entry* entry, const std::vector<uint64_t>& firing,
                                  const std::vector<uint64_t>& resolved, bool send_resolved,
                                  absl::Duration repeat_interval, absl::Time now);

class NotificationLog {
 public:
  // The live entry for `key`, or nullptr (expired entries are absent).
  const Entry* Find(const Key& key, absl::Time now) const;

  // Records a delivery; an entry older than the one held is ignored (a late writer never
  // rolls the log back).
  void Record(Entry entry);

  // Forgets entries expired at `now`; returns how many.
  std::size_t CollectExpired(absl::Time now);

  std::size_t size() const { return entries_.size(); }
  std::vector<Entry> Snapshot() const;

 private:
  absl::flat_hash_map<std::string, Entry> entries_;
};

}  // namespace wecom_notify::nflog

#endif  // WECOM_NOTIFY_LIBS_NFLOG_NOTIFICATION_LOG_H_
