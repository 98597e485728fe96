#include "libs/store/shared_alert.h"

namespace wecom_notify::store {

SharedAlert::SharedAlert(const alert::Alert& alert) : version_(new Version(alert)) {}

SharedAlert::SharedAlert(const SharedAlert& other) noexcept : version_(other.version_) {
  if (version_ != nullptr) version_->refs.fetch_add(1, std::memory_order_relaxed);
}

SharedAlert& SharedAlert::operator=(const SharedAlert& other) noexcept {
  if (other.version_ != nullptr) other.version_->refs.fetch_add(1, std::memory_order_relaxed);
  Unref(version_);
  version_ = other.version_;
  return *this;
}

SharedAlert& SharedAlert::operator=(SharedAlert&& other) noexcept {
  if (this != &other) {
    Unref(version_);
    version_ = other.version_;
    other.version_ = nullptr;
  }
  return *this;
}

void SharedAlert::Unref(const Version* version) {
  if (version == nullptr || version->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  delete version;
}

}  // namespace wecom_notify::store
