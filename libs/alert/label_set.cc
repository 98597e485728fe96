#include "libs/alert/label_set.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "libs/alert/label_names.h"
#include "libs/common/size_class_pool.h"

namespace wecom_notify::alert {
namespace {

bool NameLess(const LabelView& a, const LabelView& b) { return a.name < b.name; }

// Sorts by name and drops all but the last pair of each name, in place; returns the new size.
std::size_t SortUnique(absl::Span<LabelView> labels) {
  std::stable_sort(labels.begin(), labels.end(), NameLess);
  // Keep the last of equal names: walk backwards, then restore order.
  std::reverse(labels.begin(), labels.end());
  auto last = std::unique(labels.begin(), labels.end(),
                          [](const LabelView& a, const LabelView& b) { return a.name == b.name; });
  const std::size_t size = static_cast<std::size_t>(last - labels.begin());
  std::reverse(labels.begin(), labels.begin() + size);
  return size;
}

void StoreOffset(void* offsets, bool wide, std::size_t k, uint32_t offset) {
  if (wide) {
    static_cast<uint32_t*>(offsets)[k] = offset;
  } else {
    static_cast<uint16_t*>(offsets)[k] = static_cast<uint16_t>(offset);
  }
}

// Every set's block: exactly its size rounded up to 8, where malloc's chunk would add a header and
// round to 16 (size_class_pool.h). Never destroyed: blocks may be freed during static
// destruction.
SizeClassPool& Blocks() {
  static auto* pool = new SizeClassPool;
  return *pool;
}

std::vector<LabelView> ViewsOf(const std::vector<Label>& labels) {
  std::vector<LabelView> views;
  views.reserve(labels.size());
  for (const Label& label : labels) views.push_back(LabelView{label.name, label.value});
  return views;
}

}  // namespace

LabelSet::LabelSet(std::vector<Label> labels) {
  std::vector<LabelView> views = ViewsOf(labels);
  *this = FromViews(absl::MakeSpan(views));
}

LabelSet::LabelSet(std::initializer_list<Label> labels)
    : LabelSet(std::vector<Label>(labels)) {}

LabelSet LabelSet::FromViews(absl::Span<LabelView> labels) {
  const std::size_t size = SortUnique(labels);
  return LabelSet(Build(labels.subspan(0, size)));
}

LabelSet::Rep* LabelSet::Build(absl::Span<const LabelView> sorted) {
  if (sorted.empty()) return nullptr;
  const std::optional<uint32_t> names_id = LabelNames::Intern(sorted);
  const NameList* list = names_id.has_value() ? &LabelNames::Get(*names_id) : nullptr;
  // Bit i: value i comes from the list (an interned list has at most 64 names). Equal sets must
  // get equal blocks (operator==): this depends only on the value and the list, which never
  // changes.
  static_assert(LabelNames::kMaxNames <= 64);
  uint64_t from_list = 0;
  std::size_t chars = 0;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    const absl::string_view value = sorted[i].value;
    if (list == nullptr) {
      chars += sorted[i].name.size() + value.size();
    } else if (!value.empty() && value == list->first_value(i)) {
      from_list |= uint64_t{1} << i;
    } else {
      chars += value.size();
    }
  }
  const bool wide = chars > 0xffff;
  const int from_list_count = absl::popcount(from_list);
  const std::size_t mask_bytes = from_list == 0 ? 0 : sorted.size() > 32 ? 8 : 4;
  const std::size_t offsets = list != nullptr
                                  ? sorted.size() - static_cast<std::size_t>(from_list_count) + 1
                                  : 2 * sorted.size() + 1;
  void* memory = Blocks().Allocate(sizeof(Rep) + (list != nullptr ? 4 : 0) + mask_bytes +
                                   offsets * (wide ? 4 : 2) + chars);
  Rep* rep = new (memory)
      Rep{{1}, static_cast<uint32_t>(sorted.size()), wide, list != nullptr, from_list != 0};
  // The id, mask and offset array are the block's own memory, written once here before anyone
  // reads them.
  unsigned char* after_header = reinterpret_cast<unsigned char*>(rep + 1);
  if (list != nullptr) std::memcpy(after_header, &*names_id, sizeof(uint32_t));
  if (mask_bytes == 8) {
    std::memcpy(after_header + 4, &from_list, sizeof(from_list));
  } else if (mask_bytes == 4) {
    const auto from_list32 = static_cast<uint32_t>(from_list);
    std::memcpy(after_header + 4, &from_list32, sizeof(from_list32));
  }
  void* offset_array = const_cast<unsigned char*>(Offsets(rep));
  char* out = const_cast<char*>(Chars(rep));
  uint32_t at = 0;
  std::size_t k = 0;
  auto append = [&](absl::string_view piece) {
    StoreOffset(offset_array, wide, k++, at);
    // An empty view may carry a null data(), which memcpy must not see.
    if (!piece.empty()) std::memcpy(out + at, piece.data(), piece.size());
    at += static_cast<uint32_t>(piece.size());
  };
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (list == nullptr) {
      append(sorted[i].name);
      append(sorted[i].value);
    } else if (((from_list >> i) & 1) == 0) {
      append(sorted[i].value);
    }
  }
  StoreOffset(offset_array, wide, k, at);
  return rep;
}

absl::string_view LabelSet::InternedName(uint32_t names_id, std::size_t i) {
  return LabelNames::Get(names_id)[i];
}

absl::string_view LabelSet::InternedFirstValue(uint32_t names_id, std::size_t i) {
  return LabelNames::Get(names_id).first_value(i);
}

void LabelSet::Rep::Free(const Rep* rep) {
  const std::size_t bytes = BlockBytes(rep);
  rep->~Rep();
  Blocks().Deallocate(const_cast<Rep*>(rep), bytes);
}

std::optional<absl::string_view> LabelSet::Get(absl::string_view name) const {
  const Rep* rep = rep_.get();
  if (rep == nullptr) return std::nullopt;
  const NameList* interned = rep->interned_names ? &LabelNames::Get(NamesId(rep)) : nullptr;
  auto name_at = [&](std::size_t i) { return interned != nullptr ? (*interned)[i] : Piece(2 * i); };
  // Sets hold a handful of pairs: a binary search over the names.
  std::size_t low = 0, high = size();
  while (low < high) {
    const std::size_t mid = low + (high - low) / 2;
    if (name_at(mid) < name) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  if (low == size() || name_at(low) != name) return std::nullopt;
  return Value(low);
}

void LabelSet::Set(absl::string_view name, absl::string_view value) {
  std::vector<LabelView> views(begin(), end());
  views.push_back(LabelView{name, value});
  *this = FromViews(absl::MakeSpan(views));
}

void LabelSet::RemoveEmptyValues() {
  // Almost every set has no empty value: find that out without building the list of the kept.
  bool any_empty = false;
  for (std::size_t i = 0; i < size() && !any_empty; ++i) any_empty = Value(i).empty();
  if (!any_empty) return;
  std::vector<LabelView> kept;
  kept.reserve(size());
  for (LabelView label : *this) {
    if (!label.value.empty()) kept.push_back(label);
  }
  *this = LabelSet(Build(kept));
}

bool operator==(const LabelSet& a, const LabelSet& b) {
  const LabelSet::Rep* x = a.rep_.get();
  const LabelSet::Rep* y = b.rep_.get();
  if (x == y) return true;
  if (a.size() != b.size()) return false;
  // Equal sets have the same layout: the same names are always interned under one id or never
  // (the table keeps every list and, once full, stays full), the same values come from the
  // list (which never changes), and equal characters need the same offset width.
  if (x->interned_names != y->interned_names || x->wide_offsets != y->wide_offsets ||
      x->values_from_list != y->values_from_list) {
    return false;
  }
  // Then equal sets have the same name-list id, mask and offsets — heads of one length (masks
  // that differ would make them differ: each value from the list has no offset); only then are
  // the characters (of equal length) compared.
  auto head_bytes = [](const LabelSet::Rep* rep) {
    return static_cast<std::size_t>(LabelSet::Chars(rep) - reinterpret_cast<const char*>(rep + 1));
  };
  const std::size_t head = head_bytes(x);
  if (head != head_bytes(y) || std::memcmp(x + 1, y + 1, head) != 0) return false;
  const uint32_t chars = LabelSet::Offset(x, LabelSet::OffsetCount(x) - 1);
  return std::memcmp(LabelSet::Chars(x), LabelSet::Chars(y), chars) == 0;
}

}  // namespace wecom_notify::alert
