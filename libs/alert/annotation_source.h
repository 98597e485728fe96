// File: libs/alert/annotation_source.h
//
// AnnotationSource is where the annotations of alerts held elsewhere are read from. notifyd's
// held versions (store::SharedAlert) carry labels and times only — what routing, grouping and
// deduplication use — because annotations are most of an alert's size beyond its labels and
// only a notification being sent or a listing reads them. The durable store serves them
// (storage::StateStore), or, without one, the in-memory AlertStore keeps them aside.

#ifndef WECOM_NOTIFY_LIBS_ALERT_ANNOTATION_SOURCE_H_
#define WECOM_NOTIFY_LIBS_ALERT_ANNOTATION_SOURCE_H_

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "libs/alert/alert.h"

namespace wecom_notify::alert {

class AnnotationSource {
 public:
  virtual ~AnnotationSource() = default;

  // Sets each alert's annotations to those of the latest version held for its fingerprint —
  // which may be newer than the alert passed — and clears them when none is held (deleted,
  // pruned, or never stored). On error the alerts not reached yet keep what they had.
  virtual absl::Status ReadAnnotations(absl::Span<Alert> alerts) = 0;
};

}  // namespace wecom_notify::alert

#endif  // WECOM_NOTIFY_LIBS_ALERT_ANNOTATION_SOURCE_H_
