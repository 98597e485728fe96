// File: libs/store/packed_alert.h
//
// PackedAlert is an alert as notifyd holds it in memory, wherever it holds many: one version
// shared by the AlertStore and the dispatcher's aggregation groups (shared_alert.h). It is
// alert::Alert with 8-byte times (packed_time.h) and without annotations: 56 bytes instead of
// 88. Annotations are read from an alert::AnnotationSource by the few who need them
// (annotation_source.h says why). Converting either way copies no characters: label sets and
// the URL are shared.
//
// Exact for normalized alerts (alert::Normalize puts their times in the form PackedTime keeps).

#ifndef WECOM_NOTIFY_LIBS_STORE_PACKED_ALERT_H_
#define WECOM_NOTIFY_LIBS_STORE_PACKED_ALERT_H_

#include <cstdint>

#include "absl/time/time.h"
#include "libs/alert/alert.h"
#include "libs/store/packed_time.h"

namespace wecom_notify::store {

struct PackedAlert {
  // `alert`'s content but its annotations.
  explicit PackedAlert(const alert::Alert& alert);
  // Without annotations.
  alert::Alert ToAlert() const;
  // As alert::Alert::ResolvedAt.
  bool ResolvedAt(absl::Time now) const;

  alert::LabelSet labels;
  alert::SharedText generator_url;
  uint64_t fingerprint;
  PackedTime starts_at;
  PackedTime ends_at;
  PackedTime updated_at;
  bool ends_at_from_timeout;
};

}  // namespace wecom_notify::store

#endif  // WECOM_NOTIFY_LIBS_STORE_PACKED_ALERT_H_
