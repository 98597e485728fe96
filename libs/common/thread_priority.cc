#include "libs/common/thread_priority.h"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>

namespace wecom_notify {

void LowerCurrentThreadPriority() {
  const id_t thread = static_cast<id_t>(gettid());
  errno = 0;
  const int nice = getpriority(PRIO_PROCESS, thread);  // -1 is a valid nice value
  if (errno != 0 || nice >= kBulkWorkNice) return;
  setpriority(PRIO_PROCESS, thread, kBulkWorkNice);
}

void BecomeBulkWorkThread(const char* name) {
  pthread_setname_np(pthread_self(), name);
  LowerCurrentThreadPriority();
}

}  // namespace wecom_notify
