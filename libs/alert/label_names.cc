#include "libs/alert/label_names.h"

#include <atomic>
#include <cstring>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace wecom_notify::alert {
namespace {

// The index key of a list: each name's length (4 bytes) before its characters, so that two
// different lists never share a key, whatever characters their names hold.
std::string KeyOf(absl::Span<const LabelView> labels) {
  std::string key;
  for (const LabelView& label : labels) {
    const auto length = static_cast<uint32_t>(label.name.size());
    key.append(reinterpret_cast<const char*>(&length), sizeof(length));
    key.append(label.name.data(), label.name.size());
  }
  return key;
}

class Table {
 public:
  std::optional<uint32_t> Intern(absl::Span<const LabelView> labels) {
    std::size_t chars = 0;
    for (const LabelView& label : labels) chars += label.name.size();
    if (chars > LabelNames::kMaxNameChars) return std::nullopt;
    std::string key = KeyOf(labels);
    absl::MutexLock lock(&mu_);
    if (auto it = ids_.find(key); it != ids_.end()) return it->second;
    const uint32_t id = size_.load(std::memory_order_relaxed);
    if (id == LabelNames::kCapacity) return std::nullopt;
    lists_[id].store(new NameList(labels), std::memory_order_release);
    ids_.emplace(std::move(key), id);
    size_.store(id + 1, std::memory_order_release);
    return id;
  }

  const NameList& Get(uint32_t id) const { return *lists_[id].load(std::memory_order_acquire); }

  std::size_t size() const { return size_.load(std::memory_order_acquire); }

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, uint32_t> ids_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint32_t> size_{0};
  std::atomic<const NameList*> lists_[LabelNames::kCapacity] = {};
};

// Never destroyed: label sets in static objects may still read their names at exit.
Table& TheTable() {
  static Table* const table = new Table;
  return *table;
}

// The lists this thread interned last: a request's alerts mostly share their names, so most
// lookups end here, without the table's lock or a key.
constexpr int kRecentLists = 4;
thread_local uint32_t recent_lists[kRecentLists];
thread_local int recent_count = 0;
thread_local int recent_next = 0;

}  // namespace

NameList::NameList(absl::Span<const LabelView> labels) {
  // Characters first, views after: chars_ must not move once viewed.
  std::size_t value_chars = 0;
  std::vector<bool> keep_value;
  keep_value.reserve(labels.size());
  for (const LabelView& label : labels) {
    chars_.append(label.name.data(), label.name.size());
    const bool keep = value_chars + label.value.size() <= LabelNames::kMaxValueChars;
    if (keep) value_chars += label.value.size();
    keep_value.push_back(keep);
  }
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (keep_value[i]) chars_.append(labels[i].value.data(), labels[i].value.size());
  }
  names_.reserve(labels.size());
  first_values_.reserve(labels.size());
  std::size_t at = 0;
  for (const LabelView& label : labels) {
    names_.push_back(absl::string_view(chars_).substr(at, label.name.size()));
    at += label.name.size();
  }
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const std::size_t size = keep_value[i] ? labels[i].value.size() : 0;
    first_values_.push_back(absl::string_view(chars_).substr(at, size));
    at += size;
  }
}

bool NameList::Matches(absl::Span<const LabelView> labels) const {
  if (labels.size() != names_.size()) return false;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i].name != names_[i]) return false;
  }
  return true;
}

std::optional<uint32_t> LabelNames::Intern(absl::Span<const LabelView> labels) {
  if (labels.empty() || labels.size() > kMaxNames) return std::nullopt;
  Table& table = TheTable();
  for (int i = 0; i < recent_count; ++i) {
    if (table.Get(recent_lists[i]).Matches(labels)) return recent_lists[i];
  }
  const std::optional<uint32_t> id = table.Intern(labels);
  if (id.has_value()) {
    recent_lists[recent_next] = *id;
    recent_next = (recent_next + 1) % kRecentLists;
    if (recent_count < kRecentLists) ++recent_count;
  }
  return id;
}

const NameList& LabelNames::Get(uint32_t id) { return TheTable().Get(id); }

std::size_t LabelNames::size() { return TheTable().size(); }

}  // namespace wecom_notify::alert
