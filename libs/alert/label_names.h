// File: libs/alert/label_names.h
//
// LabelNames interns the sorted name lists of label sets, process-wide, so that a label set's
// block (label_set.h) can hold a 4-byte id instead of its names' characters. Alerts of one rule
// share their names — `alertname`, `instance`, `job`, `severity`, … — and so do most alerts of
// a platform: the names are often half of a set's characters, repeated in every held alert.
//
// A list also keeps the values of the first set interned with its names (up to kMaxValueChars
// characters of them, in name order, empty values never), so that a later set holding the same
// value under a name stores a bit instead of the characters (label_set.h). Alerts of one rule
// repeat most of their values — `alertname`, `job`, `severity`, a runbook URL, a summary — and
// differ in a few (`instance`, `pod`); the first set's values are the cheapest guess of which
// values repeat that never changes once made, so readers need no lock. A first set whose values
// are unlike the later ones costs only the characters kept.
//
// Interned lists are never freed, so the table is bounded: at most kCapacity lists, each of at
// most kMaxNames names and kMaxNameChars characters, with at most kMaxValueChars of values —
// about 18 MiB if a sender filled it with the longest lists; a platform's real alerts use tens
// of lists, a few KiB. A list beyond either
// bound, or any list once the table is full, is not interned (Intern returns nullopt) and its
// label sets keep their names inline — correct, only larger. Label names come from the alerts'
// senders, so a sender inventing names can fill the table; it then stops growing.
//
// Thread-safety: all functions may be called from any thread. Lists are immutable once
// interned; Get never locks.

#ifndef WECOM_NOTIFY_LIBS_ALERT_LABEL_NAMES_H_
#define WECOM_NOTIFY_LIBS_ALERT_LABEL_NAMES_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "libs/alert/label_set.h"

namespace wecom_notify::alert {

// An interned list of names, sorted, unique.
class NameList {
 public:
  // The names of `labels`, and their values within LabelNames::kMaxValueChars.
  explicit NameList(absl::Span<const LabelView> labels);

  NameList(const NameList&) = delete;
  NameList& operator=(const NameList&) = delete;

  std::size_t size() const { return names_.size(); }
  absl::string_view operator[](std::size_t i) const { return names_[i]; }
  // The value the list's first set had for name i, if kept; else empty.
  absl::string_view first_value(std::size_t i) const { return first_values_[i]; }

  // Whether the names of `labels` are exactly this list's names, in order.
  bool Matches(absl::Span<const LabelView> labels) const;

 private:
  std::string chars_;
  std::vector<absl::string_view> names_;         // views into chars_
  std::vector<absl::string_view> first_values_;  // views into chars_
};

class LabelNames {
 public:
  static constexpr uint32_t kCapacity = 4096;
  static constexpr std::size_t kMaxNames = 64;
  static constexpr std::size_t kMaxNameChars = 1024;
  static constexpr std::size_t kMaxValueChars = 1024;

  // Intern()
  //
  // The id of the names of `labels` (sorted by name by the caller, names unique), interning
  // them when they are new; the same names always give the same id. nullopt when there are
  // none, when they are beyond the bounds above, or new while the table is full.
  static std::optional<uint32_t> Intern(absl::Span<const LabelView> labels);

  // The list of `id`, which Intern returned.
  static const NameList& Get(uint32_t id);

  // Number of lists interned so far (for tests and metrics).
  static std::size_t size();
};

}  // namespace wecom_notify::alert

#endif  // WECOM_NOTIFY_LIBS_ALERT_LABEL_NAMES_H_
