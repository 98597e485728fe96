#include "libs/store/packed_alert.h"

namespace wecom_notify::store {

PackedAlert::PackedAlert(const alert::Alert& alert)
    : labels(alert.labels),
      generator_url(alert.generator_url),
      fingerprint(alert.fingerprint),
      starts_at(alert.starts_at),
      ends_at(alert.ends_at),
      updated_at(alert.updated_at),
      ends_at_from_timeout(alert.ends_at_from_timeout) {}

alert::Alert PackedAlert::ToAlert() const {
  alert::Alert alert;
  alert.labels = labels;
  alert.starts_at = starts_at.ToTime();
  alert.ends_at = ends_at.ToTime();
  alert.updated_at = updated_at.ToTime();
  alert.generator_url = generator_url;
  alert.fingerprint = fingerprint;
  alert.ends_at_from_timeout = ends_at_from_timeout;
  return alert;
}

bool PackedAlert::ResolvedAt(absl::Time now) const {
  const absl::Time ends = ends_at.ToTime();
  return ends != absl::InfinitePast() && ends <= now;
}

}  // namespace wecom_notify::store
