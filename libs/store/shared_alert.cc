#include "libs/store/shared_alert.h"

#include "libs/common/block_pool.h"

namespace wecom_notify::store {

SharedAlert::SharedAlert(const alert::Alert& alert) : version_(new Version(alert)) {}

// Always sizeof(Version): the class is final.
void* SharedAlert::Version::operator new(std::size_t) { return Pool().Allocate(); }

void SharedAlert::Version::operator delete(void* block) { Pool().Deallocate(block); }

BlockPool& SharedAlert::Version::Pool() {
  // Never destroyed: versions may be dropped by threads still running at exit.
  static BlockPool* const pool = new BlockPool(sizeof(Version));
  return *pool;
}

}  // namespace wecom_notify::store
