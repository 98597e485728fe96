// File: libs/alert/fingerprint.h
//
// Alertmanager's alert fingerprint, bit for bit: FNV-1a 64 over, for each label in ascending
// name order, the bytes `name 0xFF value 0xFF`. Equal to the `fingerprint` Alertmanager puts in
// its webhook payloads and API answers for the same label set, so an alert keeps one identity
// across Prometheus, Alertmanager and notifyd.

#ifndef WECOM_NOTIFY_LIBS_ALERT_FINGERPRINT_H_
#define WECOM_NOTIFY_LIBS_ALERT_FINGERPRINT_H_

#include <cstdint>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"

#include "libs/alert/label_set.h"

namespace wecom_notify::alert {

// The fingerprint of `labels`. An empty set has the FNV offset basis, as in Alertmanager.
uint64_t Fingerprint(const LabelSet& labels);

// 16 lowercase hex digits, zero-padded (Go's %016x).
std::string FingerprintToHex(uint64_t fingerprint);

// The inverse of FingerprintToHex; nullopt unless `hex` is exactly 16 hex digits.
std::optional<uint64_t> FingerprintFromHex(absl::string_view hex);

}  // namespace wecom_notify::alert

#endif  // WECOM_NOTIFY_LIBS_ALERT_FINGERPRINT_H_
