// File: libs/common/thread_priority.h
//
// Bulk work — listing every held alert, which takes seconds of CPU for 100k alerts — must not
// take the CPU from ingest: on two cores a listing thread at the same priority slowed
// concurrent single-alert ingest by a fifth and stretched its tail (docs/performance.md). Such
// work runs on threads that give way to the others when they compete for a core.

#ifndef WECOM_NOTIFY_LIBS_COMMON_THREAD_PRIORITY_H_
#define WECOM_NOTIFY_LIBS_COMMON_THREAD_PRIORITY_H_

namespace wecom_notify {

// The nice value bulk-work threads run at (Linux: a thread's nice value is its own; at +10 a
// thread competing with one at 0 gets about a tenth of the core).
inline constexpr int kBulkWorkNice = 10;

// Lowers the calling thread's priority to kBulkWorkNice, unless it is that low already; other
// threads of the process keep theirs. One way only: an unprivileged process may not raise a
// priority back, so call it on threads whose every job may wait (gRPC's synchronous server
// threads, a listing thread), never on a hot path's thread. Failure (a seccomp profile refusing
// setpriority) leaves the priority as it was: the work still runs.
void LowerCurrentThreadPriority();

// What a thread started for bulk work does first: takes `name` (Linux keeps 15 characters) so
// it can be told apart in /proc and profiles, and lowers its priority.
void BecomeBulkWorkThread(const char* name);

}  // namespace wecom_notify

#endif  // WECOM_NOTIFY_LIBS_COMMON_THREAD_PRIORITY_H_
