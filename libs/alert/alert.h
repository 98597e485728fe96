// File: libs/alert/alert.h
//
// Alert is notifyd's in-memory alert, with Alertmanager's meaning for every field. It is a plain
// value type; stores and engines own copies, which are cheap: copies share the label sets'
// immutable blocks (see label_set.h). Times are absl::Time; "unset" is
// absl::InfinitePast(), which also stands for Go's zero time 0001-01-01T00:00:00Z (Alertmanager
// writes that as endsAt of firing alerts in webhook payloads).

#ifndef WECOM_NOTIFY_LIBS_ALERT_ALERT_H_
#define WECOM_NOTIFY_LIBS_ALERT_ALERT_H_

#include <cstdint>

#include "absl/time/time.h"
#include "libs/alert/label_set.h"
#include "libs/alert/shared_text.h"

namespace wecom_notify::alert {

struct Alert {
  LabelSet labels;
  LabelSet annotations;
  absl::Time starts_at = absl::InfinitePast();
  absl::Time ends_at = absl::InfinitePast();
  // When notifyd last received this alert; the newer update wins a merge.
  absl::Time updated_at = absl::InfinitePast();
  // Shared: every alert of a rule carries the same URL (see shared_text.h).
  SharedText generator_url;
  // Fingerprint(labels); kept in sync by Normalize().
  uint64_t fingerprint = 0;
  // ends_at was not given by the sender but derived from resolve_timeout. An explicit ends_at
  // beats a derived one when two updates merge.
  bool ends_at_from_timeout = false;

  // Resolved iff ends_at is set and not after `now` (Alertmanager's Alert.ResolvedAt).
  bool ResolvedAt(absl::Time now) const {
    return ends_at != absl::InfinitePast() && ends_at <= now;
  }
};

// Normalize()
//
// Applies Alertmanager's receive-time rules to an alert as posted, in its order:
//  - labels and annotations with an empty value are removed;
//  - missing starts_at becomes `now`, or ends_at when only ends_at is set;
//  - missing ends_at becomes `now + resolve_timeout`, marked ends_at_from_timeout;
//  - updated_at becomes `now`; fingerprint is computed from the labels;
//  - every time takes the form notifyd keeps times in, in memory and on disk
//    (time_encoding.h: years beyond 1678..2262 clamped, sub-nanoseconds dropped), so that what
//    an alert says never changes between its acknowledgement, a read and a restart.
void Normalize(Alert& alert, absl::Time now, absl::Duration resolve_timeout);

// Merge()
//
// The alert the store keeps when `incoming` arrives while `stored` (same fingerprint) is held,
// following Alertmanager's mem provider: when their active ranges overlap strictly, the newer
// update wins for labels, annotations and URL, the earliest starts_at is kept, and of the two
// ends_at the later explicit one wins (for two resolved alerts, the later resolve time); when the
// ranges do not overlap, `incoming` replaces `stored` (a re-activation after a resolve).
Alert Merge(const Alert& stored, Alert incoming, absl::Time now);

}  // namespace wecom_notify::alert

#endif  // WECOM_NOTIFY_LIBS_ALERT_ALERT_H_
