#include "libs/storage/sqlite_busy.h"

#include <sqlite3.h>

#include "absl/time/clock.h"

namespace wecom_notify::storage {
namespace {

constexpr absl::Duration kPollInterval = absl::Microseconds(100);

// `attempts` counts the earlier calls for the same lock: the time slept so far.
int PollWhileBusy(void* timeout, int attempts) {
  if (kPollInterval * attempts >= *static_cast<const absl::Duration*>(timeout)) return 0;
  absl::SleepFor(kPollInterval);
  return 1;
}

}  // namespace

void SetPollingBusyHandler(sqlite3* db, const absl::Duration* timeout) {
  sqlite3_busy_handler(db, &PollWhileBusy, const_cast<absl::Duration*>(timeout));
}

}  // namespace wecom_notify::storage
