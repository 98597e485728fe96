// File: libs/common/file_watcher.h
//
// FileWatcher notices that a file's content changed and calls `on_change` — notifyd uses it to
// reload --config.file (and the secret files it names) with no SIGHUP, and both binaries to
// follow their token and password files (WatchSecretFile). It polls the content (a hash of it)
// every `interval` of the injected clock rather than using inotify: Kubernetes updates a mounted
// ConfigMap or Secret by swapping a symlinked directory (`..data`), which an inotify watch on
// the file never sees, and editors that write a new file and rename it over the old one defeat
// it too.
//
// Each content is acted on once. When `on_change` fails (say, a configuration that does not
// parse), that content is not tried again — no reload loop, no log flood — and only a further
// change is; going back to the running content counts as a change, so a fixed file is picked up.
// A file that cannot be read (deleted, mid-swap) is reported once per episode and skipped.
//
// Thread-safety: Tick() and the background thread are not meant to run together; use one or
// the other. Start/Stop from one owner thread.

#ifndef WECOM_NOTIFY_LIBS_COMMON_FILE_WATCHER_H_
#define WECOM_NOTIFY_LIBS_COMMON_FILE_WATCHER_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"

namespace wecom_notify {

class FileWatcher {
 public:
  // Reads the watched file's whole content.
  using ReadFn = std::function<absl::StatusOr<std::string>()>;
  // Applies the changed file (reads it again itself); its error means "this content is bad".
  using ChangeFn = std::function<absl::Status()>;

  enum class Outcome {
    kNotDue,      // the interval has not passed since the last poll
    kUnchanged,   // same content as last acted on (a running or an already rejected one)
    kApplied,     // changed, and on_change succeeded
    kFailed,      // changed, and on_change failed: not retried until it changes again
    kUnreadable,  // the file could not be read
  };

  // `initial` is the content in use now (no change is reported for it). `name` names the file
  // in logs. REQUIRES: interval > 0. `clock` must outlive the watcher.
  FileWatcher(Clock& clock, absl::Duration interval, std::string name, const std::string& initial,
              ReadFn read, ChangeFn on_change);
  ~FileWatcher();  // Stop()
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

  // Tick()
  //
  // Polls if one is due at clock.Now() (the first one `interval` after construction, then every
  // `interval` after the previous poll) and acts on a change.
  Outcome Tick();

  absl::Time next_poll() const { return next_poll_; }

  // Runs Tick() on a background thread until Stop(). Waits are real time, bounded by the next
  // poll as judged on the clock and by one second (so a simulated clock is noticed).
  void Start();
  // Stops and joins the thread, after the on_change in progress if any. Idempotent.
  void Stop();

 private:
  void Run();

  Clock& clock_;
  const absl::Duration interval_;
  const std::string name_;
  const ReadFn read_;
  const ChangeFn on_change_;
  std::size_t last_hash_;    // the content last acted on (initial, applied or rejected)
  bool unreadable_ = false;  // the last poll could not read the file (already reported)
  absl::Time next_poll_;

  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// ReadWholeFile()
//
// The content of `path`, following symlinks. Errors: NotFound / PermissionDenied naming the
// path and the system's reason.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

// ReadSecret()
//
// The secret in `path`: its content without surrounding whitespace (a trailing newline is
// usual). Errors: as ReadWholeFile; InvalidArgument "\"<path>\" is empty" when nothing is left.
absl::StatusOr<std::string> ReadSecret(const std::string& path);

// WatchSecretFile()
//
// A started watcher of `path` that hands `apply` the secret in it — its content without
// surrounding whitespace, as the binaries read a token or password file at start — each time
// the content changes (ReadSecret): how a rotated credential (a Kubernetes Secret updated in place)
// takes effect with no restart. A file that became unreadable or holds only whitespace is logged
// (its name, never its content) and `apply` is not called: the secret in use stays.
// REQUIRES: interval > 0. `clock` must outlive the watcher.
std::unique_ptr<FileWatcher> WatchSecretFile(Clock& clock, absl::Duration interval,
                                             const std::string& path,
                                             std::function<void(std::string)> apply);

}  // namespace wecom_notify

#endif  // WECOM_NOTIFY_LIBS_COMMON_FILE_WATCHER_H_
