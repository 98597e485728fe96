#include "libs/shim/completion_queue_thread.h"

#include <pthread.h>

namespace wecom_notify::shim {

CompletionQueueThread::CompletionQueueThread()
    : thread_([this] {
        void* tag;
        bool ok;
        while (cq_.Next(&tag, &ok)) static_cast<Tag*>(tag)->OnComplete(ok);
      }) {
  // Named so that a profile or `top -H` tells it from the HTTP I/O threads.
  pthread_setname_np(thread_.native_handle(), "notify-client");
}

CompletionQueueThread::~CompletionQueueThread() {
  cq_.Shutdown();
  thread_.join();
}

}  // namespace wecom_notify::shim
