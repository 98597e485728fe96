// File: libs/alert/label_set.h
//
// LabelSet is a set of (name, value) string pairs kept sorted by name, names unique: the shape
// in which Alertmanager hashes, compares and prints labels. A sorted vector, not a map, because
// alerts carry a handful of labels and are held by the hundred thousand: one allocation per
// set, cache-friendly scans, and the fingerprint walks it in order with no sorting.

#ifndef WECOM_NOTIFY_LIBS_ALERT_LABEL_SET_H_
#define WECOM_NOTIFY_LIBS_ALERT_LABEL_SET_H_

#include <initializer_list>
#include <string>
#include "absl/strings/string_view.h"
#include <utility>
#include <vector>

namespace wecom_notify::alert {

struct Label {
  std::string name;
  std::string value;

  friend bool operator==(const Label& a, const Label& b) {
    return a.name == b.name && a.value == b.value;
  }
};

class LabelSet {
 public:
  LabelSet() = default;
  // Sorts `labels` by name. When a name repeats, the last pair wins.
  explicit LabelSet(std::vector<Label> labels);
  LabelSet(std::initializer_list<Label> labels) : LabelSet(std::vector<Label>(labels)) {}

  // Get()
  //
  // The value of `name`, or nullptr when absent.
  const std::string* Get(absl::string_view name) const;

  // Sets `name` to `value`, replacing an existing value.
  void Set(std::string name, std::string value);

  // Removes every pair whose value is empty (Alertmanager treats them as absent).
  void RemoveEmptyValues();

  bool empty() const { return labels_.empty(); }
  std::size_t size() const { return labels_.size(); }
  auto begin() const { return labels_.begin(); }
  auto end() const { return labels_.end(); }

  friend bool operator==(const LabelSet& a, const LabelSet& b) { return a.labels_ == b.labels_; }
  friend bool operator!=(const LabelSet& a, const LabelSet& b) { return !(a == b); }

 private:
  std::vector<Label> labels_;  // sorted by name, names unique
};

}  // namespace wecom_notify::alert

#endif  // WECOM_NOTIFY_LIBS_ALERT_LABEL_SET_H_
