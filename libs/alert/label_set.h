// File: libs/alert/label_set.h
//
// LabelSet is a set of (name, value) string pairs kept sorted by name, names unique: the shape
// in which Alertmanager hashes, compares and prints labels.
//
// Representation, because notifyd holds alerts by the hundred thousand and copies each one on
// its way to the store, the durable log and the dispatcher: all names and values of a set live
// in one immutable, reference-counted block (a header, 2n+1 offsets, then the characters). A set
// costs one allocation however many labels it has — no std::string per name or value, and no
// malloc header (the blocks come from a SizeClassPool, libs/common/size_class_pool.h) — and
// copying a set only bumps the count, from any thread. The mutators (Set, RemoveEmptyValues)
// build a new block, so copies already made never change. The offsets are 16 bits wide when the
// characters allow (under 64 KiB: every realistic set), else 32: for a typical alert that is a
// malloc size class less per label block and per annotation block. The names are usually not
// in the block at all: sets with the same names share one interned name list (label_names.h)
// and the block holds its id — for a typical alert a third of the label block's characters.
// Nor, mostly, are the values its rule repeats: a value equal to the one the list's first set
// had under that name is read from the list (a bit in a mask; no offset, no characters), so an
// alert's block holds the characters that tell it from its rule's other alerts — `instance`,
// `pod`, a description naming them — and the rest once per list (docs/performance.md: a
// platform alert held in ~40 % less memory).
//
// Limits: a set's characters must fit in 4 GiB and it holds fewer than 2^29 pairs; notifyd's
// request size limits (a few MiB) keep every set far below that.

#ifndef WECOM_NOTIFY_LIBS_ALERT_LABEL_SET_H_
#define WECOM_NOTIFY_LIBS_ALERT_LABEL_SET_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "absl/numeric/bits.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "libs/common/shared_block.h"

namespace wecom_notify::alert {

// A pair to build a set from; owns its strings.
struct Label {
  std::string name;
  std::string value;
};

// A pair as read from a set: views into the set's block, valid while the set or any copy of it
// lives.
struct LabelView {
  absl::string_view name;
  absl::string_view value;
};

class LabelSet {
 public:
  class const_iterator;

  LabelSet() = default;
  // Sorts `labels` by name. When a name repeats, the last pair wins.
  explicit LabelSet(std::vector<Label> labels);
  LabelSet(std::initializer_list<Label> labels);

  // FromViews()
  //
  // The set of `labels`, which it sorts in place; when a name repeats, the last pair wins. The
  // characters are copied: the views need only live for the call. This is the way to build a
  // set from strings owned elsewhere (a parsed request) without a std::string per pair.
  static LabelSet FromViews(absl::Span<LabelView> labels);

  // The value of `name`, or nullopt when absent.
  std::optional<absl::string_view> Get(absl::string_view name) const;

  // Sets `name` to `value`, replacing an existing value.
  void Set(absl::string_view name, absl::string_view value);

  // Removes every pair whose value is empty (Alertmanager treats them as absent).
  void RemoveEmptyValues();

  bool empty() const { return size() == 0; }
  std::size_t size() const { return rep_.get() == nullptr ? 0 : rep_.get()->count; }
  // The bytes of the block this set and its copies share (0 for an empty set); what holding a
  // set costs, for tests and memory accounting.
  std::size_t block_bytes() const { return rep_.get() == nullptr ? 0 : BlockBytes(rep_.get()); }
  LabelView operator[](std::size_t i) const;
  const_iterator begin() const;
  const_iterator end() const;

  friend bool operator==(const LabelSet& a, const LabelSet& b);
  friend bool operator!=(const LabelSet& a, const LabelSet& b) { return !(a == b); }

 private:
  // The block's header. With interned_names, the uint32 id of the set's name list follows it,
  // then, with values_from_list, a mask (4 bytes, or 8 for more than 32 pairs) whose bit i says
  // that value i is the list's first value for its name and has no characters here; then one
  // offset per value held here, plus one (value j of those held starts at offset j, the last
  // offset is the end); then those values back to back. Without interned_names, 2 * count + 1
  // offsets (pair i's name starts at offset 2i, its value at 2i + 1) and every name and value
  // back to back. Offsets are uint16 or, when wide_offsets, uint32.
  struct Rep {
    static void Free(const Rep* rep);

    mutable std::atomic<uint32_t> refs;
    uint32_t count : 29;
    uint32_t wide_offsets : 1;
    uint32_t interned_names : 1;
    uint32_t values_from_list : 1;
  };

  explicit LabelSet(const Rep* rep) : rep_(rep) {}

  // Builds a block from pairs sorted by name with unique names; nullptr when there are none.
  static Rep* Build(absl::Span<const LabelView> sorted);
  static std::size_t IdBytes(const Rep* rep) { return rep->interned_names ? 4 : 0; }
  static std::size_t MaskBytes(const Rep* rep) {
    return rep->values_from_list ? (rep->count > 32 ? 8 : 4) : 0;
  }
  // Bit i: value i is the list's (zero when none is).
  static uint64_t FromListMask(const Rep* rep) {
    if (!rep->values_from_list) return 0;
    // The mask follows the 4-byte id: aligned to 4 only, so copied out.
    const unsigned char* at = reinterpret_cast<const unsigned char*>(rep + 1) + 4;
    if (rep->count > 32) {
      uint64_t mask;
      std::memcpy(&mask, at, sizeof(mask));
      return mask;
    }
    uint32_t mask;
    std::memcpy(&mask, at, sizeof(mask));
    return mask;
  }
  static std::size_t OffsetCount(const Rep* rep) {
    if (!rep->interned_names) return 2 * std::size_t{rep->count} + 1;
    return std::size_t{rep->count} - static_cast<std::size_t>(absl::popcount(FromListMask(rep))) +
           1;
  }
  static const unsigned char* Offsets(const Rep* rep) {
    return reinterpret_cast<const unsigned char*>(rep + 1) + IdBytes(rep) + MaskBytes(rep);
  }
  static const char* Chars(const Rep* rep) {
    return reinterpret_cast<const char*>(Offsets(rep)) +
           OffsetCount(rep) * (rep->wide_offsets ? 4 : 2);
  }
  static uint32_t Offset(const Rep* rep, std::size_t k) {
    if (rep->wide_offsets) return reinterpret_cast<const uint32_t*>(Offsets(rep))[k];
    return reinterpret_cast<const uint16_t*>(Offsets(rep))[k];
  }
  // The block's size, as Build allocated it: up to the end of the characters.
  static std::size_t BlockBytes(const Rep* rep) {
    return static_cast<std::size_t>(Chars(rep) - reinterpret_cast<const char*>(rep)) +
           Offset(rep, OffsetCount(rep) - 1);
  }
  static uint32_t NamesId(const Rep* rep) { return *reinterpret_cast<const uint32_t*>(rep + 1); }
  // Name i of the interned list `names_id`, and its first value; out of line, as label_names.h
  // needs this header.
  static absl::string_view InternedName(uint32_t names_id, std::size_t i);
  static absl::string_view InternedFirstValue(uint32_t names_id, std::size_t i);

  // The k-th string in the block's characters.
  absl::string_view Piece(std::size_t k) const {
    const Rep* rep = rep_.get();
    const uint32_t begin = Offset(rep, k);
    return absl::string_view(Chars(rep) + begin, Offset(rep, k + 1) - begin);
  }
  absl::string_view Name(std::size_t i) const {
    const Rep* rep = rep_.get();
    return rep->interned_names ? InternedName(NamesId(rep), i) : Piece(2 * i);
  }
  absl::string_view Value(std::size_t i) const {
    const Rep* rep = rep_.get();
    if (!rep->interned_names) return Piece(2 * i + 1);
    const uint64_t from_list = FromListMask(rep);
    if ((from_list >> i) & 1) return InternedFirstValue(NamesId(rep), i);
    // Held here: the values before it that the list holds have no offset.
    const uint64_t before = from_list & ((uint64_t{1} << i) - 1);
    return Piece(i - static_cast<std::size_t>(absl::popcount(before)));
  }

  SharedBlock<Rep> rep_;
};

// A forward iterator over a set's pairs in name order; dereferencing yields a LabelView.
class LabelSet::const_iterator {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = LabelView;
  using difference_type = std::ptrdiff_t;
  using pointer = void;
  using reference = LabelView;

  // Lets `it->name` work although the pair is made on the fly.
  struct ArrowProxy {
    LabelView view;
    const LabelView* operator->() const { return &view; }
  };

  const_iterator() = default;
  LabelView operator*() const { return (*set_)[index_]; }
  ArrowProxy operator->() const { return ArrowProxy{**this}; }
  const_iterator& operator++() {
    ++index_;
    return *this;
  }
  const_iterator operator++(int) {
    const_iterator before = *this;
    ++index_;
    return before;
  }
  friend bool operator==(const const_iterator& a, const const_iterator& b) {
    return a.index_ == b.index_;
  }
  friend bool operator!=(const const_iterator& a, const const_iterator& b) { return !(a == b); }

 private:
  friend class LabelSet;
  const_iterator(const LabelSet* set, std::size_t index) : set_(set), index_(index) {}

  const LabelSet* set_ = nullptr;
  std::size_t index_ = 0;
};

inline LabelView LabelSet::operator[](std::size_t i) const { return LabelView{Name(i), Value(i)}; }
inline LabelSet::const_iterator LabelSet::begin() const { return const_iterator(this, 0); }
inline LabelSet::const_iterator LabelSet::end() const { return const_iterator(this, size()); }

}  // namespace wecom_notify::alert

#endif  // WECOM_NOTIFY_LIBS_ALERT_LABEL_SET_H_
