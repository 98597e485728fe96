// File: libs/alert/shared_text.h
//
// SharedText is an immutable string whose copies share one reference-counted block. It holds
// strings that many alerts repeat — above all an alert's generator URL, which is the same for
// every alert of a Prometheus rule: alerts that hold the same block pay for its characters
// once, and copying an alert (store, durable batch, dispatcher) bumps a count instead of
// allocating. Equal text in different blocks is still equal; sharing is up to whoever builds
// the alerts (see ShareIfEqual).
//
// Copies may be made and dropped from any thread; the text itself never changes.

#ifndef WECOM_NOTIFY_LIBS_ALERT_SHARED_TEXT_H_
#define WECOM_NOTIFY_LIBS_ALERT_SHARED_TEXT_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>

#include "absl/strings/string_view.h"
#include "libs/common/shared_block.h"

namespace wecom_notify::alert {

class SharedText {
 public:
  SharedText() = default;
  // Copies the characters into a new block (none for the empty string). Implicit, so that a
  // string or literal can be assigned where text is expected.
  SharedText(absl::string_view text);  // NOLINT(google-explicit-constructor)
  SharedText(const std::string& text) : SharedText(absl::string_view(text)) {}  // NOLINT
  SharedText(const char* text) : SharedText(absl::string_view(text)) {}         // NOLINT

  absl::string_view view() const {
    const Rep* rep = rep_.get();
    return rep == nullptr ? absl::string_view() : absl::string_view(Chars(rep), rep->size);
  }
  operator absl::string_view() const { return view(); }  // NOLINT(google-explicit-constructor)
  std::string str() const { return std::string(view()); }
  bool empty() const { return rep_.get() == nullptr; }
  std::size_t size() const { return empty() ? 0 : rep_.get()->size; }

  // ShareIfEqual()
  //
  // Makes this text use `other`'s block when both hold the same characters, so that the
  // duplicate block can be freed. Cheap when they already share (one pointer comparison).
  void ShareIfEqual(const SharedText& other) {
    if (rep_.get() != other.rep_.get() && view() == other.view()) *this = other;
  }

  friend bool operator==(const SharedText& a, const SharedText& b) {
    return a.rep_.get() == b.rep_.get() || a.view() == b.view();
  }
  friend bool operator!=(const SharedText& a, const SharedText& b) { return !(a == b); }
  friend bool operator==(const SharedText& a, absl::string_view b) { return a.view() == b; }
  friend bool operator!=(const SharedText& a, absl::string_view b) { return a.view() != b; }
  friend bool operator==(const SharedText& a, const char* b) { return a.view() == b; }
  friend bool operator!=(const SharedText& a, const char* b) { return a.view() != b; }
  friend std::ostream& operator<<(std::ostream& out, const SharedText& text) {
    return out << text.view();
  }

 private:
  // The block: this header, then the characters (not NUL-terminated).
  struct Rep {
    static void Free(const Rep* rep);

    mutable std::atomic<uint32_t> refs;
    uint32_t size;
  };

  static const char* Chars(const Rep* rep) { return reinterpret_cast<const char*>(rep + 1); }

  SharedBlock<Rep> rep_;
};

}  // namespace wecom_notify::alert

#endif  // WECOM_NOTIFY_LIBS_ALERT_SHARED_TEXT_H_
