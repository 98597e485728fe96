#include "libs/common/completion_queue_thread.h"

#include <pthread.h>

#include <utility>

namespace wecom_notify {

CompletionQueueThread::CompletionQueueThread(const char* thread_name,
                                             std::unique_ptr<grpc::CompletionQueue> cq)
    : cq_(std::move(cq)), thread_([queue = cq_.get()] {
        void* tag;
        bool ok;
        while (queue->Next(&tag, &ok)) static_cast<Tag*>(tag)->OnComplete(ok);
      }) {
  pthread_setname_np(thread_.native_handle(), thread_name);
}

CompletionQueueThread::~CompletionQueueThread() {
  cq_->Shutdown();
  thread_.join();
}

}  // namespace wecom_notify
