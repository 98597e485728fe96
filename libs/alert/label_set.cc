#include "libs/alert/label_set.h"

#include <algorithm>

namespace wecom_notify::alert {
namespace {

bool NameLess(const Label& a, const Label& b) { return a.name < b.name; }

}  // namespace

LabelSet::LabelSet(std::vector<Label> labels) : labels_(std::move(labels)) {
  std::stable_sort(labels_.begin(), labels_.end(), NameLess);
  // Keep the last of equal names: walk backwards, then restore order.
  std::reverse(labels_.begin(), labels_.end());
  labels_.erase(std::unique(labels_.begin(), labels_.end(),
                            [](const Label& a, const Label& b) { return a.name == b.name; }),
                labels_.end());
  std::reverse(labels_.begin(), labels_.end());
}

const std::string* LabelSet::Get(absl::string_view name) const {
  auto it = std::lower_bound(labels_.begin(), labels_.end(), name,
                             [](const Label& l, absl::string_view n) { return l.name < n; });
  if (it == labels_.end() || it->name != name) return nullptr;
  return &it->value;
}

void LabelSet::Set(std::string name, std::string value) {
  auto it = std::lower_bound(labels_.begin(), labels_.end(), name,
                             [](const Label& l, absl::string_view n) { return l.name < n; });
  if (it != labels_.end() && it->name == name) {
    it->value = std::move(value);
  } else {
    labels_.insert(it, Label{std::move(name), std::move(value)});
  }
}

void LabelSet::RemoveEmptyValues() {
  labels_.erase(std::remove_if(labels_.begin(), labels_.end(),
                               [](const Label& l) { return l.value.empty(); }),
                labels_.end());
}

}  // namespace wecom_notify::alert
