#include "libs/store/shared_alert.h"

namespace wecom_notify::store {

SharedAlert::SharedAlert(const alert::Alert& alert) : version_(new Version(alert)) {}

}  // namespace wecom_notify::store
