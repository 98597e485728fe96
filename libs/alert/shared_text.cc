#include "libs/alert/shared_text.h"

#include <cstring>
#include <new>

namespace wecom_notify::alert {

SharedText::SharedText(absl::string_view text) {
  if (text.empty()) return;
  void* memory = ::operator new(sizeof(Rep) + text.size());
  Rep* rep = new (memory) Rep{{1}, static_cast<uint32_t>(text.size())};
  std::memcpy(reinterpret_cast<char*>(rep + 1), text.data(), text.size());  // after the header
  rep_ = SharedBlock<Rep>(rep);
}

void SharedText::Rep::Free(const Rep* rep) {
  rep->~Rep();
  ::operator delete(const_cast<Rep*>(rep));
}

}  // namespace wecom_notify::alert
