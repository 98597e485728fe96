#include "libs/alert/alert.h"

#include <utility>

#include "libs/alert/fingerprint.h"
#include "libs/alert/time_encoding.h"

namespace wecom_notify::alert {
namespace {

// Alertmanager's Alert.Merge: `older` and `younger` by updated_at.
Alert MergeOrdered(const Alert& older, Alert younger, absl::Time now) {
  if (older.starts_at < younger.starts_at) younger.starts_at = older.starts_at;
  if (younger.ResolvedAt(now)) {
    if (older.ResolvedAt(now) && older.ends_at > younger.ends_at) {
      younger.ends_at = older.ends_at;
      younger.ends_at_from_timeout = older.ends_at_from_timeout;
    }
  } else if (older.ends_at > younger.ends_at && !older.ends_at_from_timeout) {
    younger.ends_at = older.ends_at;
    younger.ends_at_from_timeout = false;
  }
  return younger;
}

}  // namespace

void Normalize(Alert& alert, absl::Time now, absl::Duration resolve_timeout) {
  alert.labels.RemoveEmptyValues();
  alert.annotations.RemoveEmptyValues();
  const bool has_start = alert.starts_at != absl::InfinitePast();
  const bool has_end = alert.ends_at != absl::InfinitePast();
  if (!has_start) alert.starts_at = has_end ? alert.ends_at : now;
  if (!has_end) {
    alert.ends_at = now + resolve_timeout;
    alert.ends_at_from_timeout = true;
  }
  alert.updated_at = now;
  for (absl::Time* time : {&alert.starts_at, &alert.ends_at, &alert.updated_at}) {
    *time = DecodeTime(EncodeTime(*time));
  }
  alert.fingerprint = Fingerprint(alert.labels);
}

Alert Merge(const Alert& stored, Alert incoming, absl::Time now) {
  const bool overlaps =
      (incoming.ends_at > stored.starts_at && incoming.ends_at < stored.ends_at) ||
      (incoming.starts_at > stored.starts_at && incoming.starts_at < stored.ends_at);
  if (!overlaps) return incoming;
  if (incoming.updated_at < stored.updated_at) {
    Alert older = std::move(incoming);
    return MergeOrdered(older, stored, now);
  }
  return MergeOrdered(stored, std::move(incoming), now);
}

}  // namespace wecom_notify::alert
