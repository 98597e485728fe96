#include "libs/alert/shared_text.h"

#include <cstring>
#include <new>

namespace wecom_notify::alert {

SharedText::SharedText(absl::string_view text) {
  if (text.empty()) return;
  void* memory = ::operator new(sizeof(Rep) + text.size());
  rep_ = new (memory) Rep{{1}, static_cast<uint32_t>(text.size())};
  std::memcpy(const_cast<char*>(Chars(rep_)), text.data(), text.size());
}

SharedText::SharedText(const SharedText& other) noexcept : rep_(other.rep_) {
  if (rep_ != nullptr) rep_->refs.fetch_add(1, std::memory_order_relaxed);
}

SharedText& SharedText::operator=(const SharedText& other) noexcept {
  if (other.rep_ != nullptr) other.rep_->refs.fetch_add(1, std::memory_order_relaxed);
  Unref(rep_);
  rep_ = other.rep_;
  return *this;
}

SharedText& SharedText::operator=(SharedText&& other) noexcept {
  if (this != &other) {
    Unref(rep_);
    rep_ = other.rep_;
    other.rep_ = nullptr;
  }
  return *this;
}

void SharedText::Unref(Rep* rep) {
  if (rep == nullptr || rep->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  rep->~Rep();
  ::operator delete(rep);
}

}  // namespace wecom_notify::alert
