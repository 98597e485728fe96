// File: libs/notify_server/readiness.h
//
// Readiness answers "should alerts be sent to this notifyd now?" as the conjunction of named
// conditions — today "storage": whether the durable store took its latest write. notifyd's gRPC
// health service and its GET /-/ready both report it (and the shim's /-/ready follows the gRPC
// health), so Kubernetes, the shim and an operator see one truth. A failed condition is not
// fatal: it is met again when the next write or probe of it succeeds.
//
// Thread-safety: every method may be called concurrently. `on_change` runs under the internal
// lock, in the order of the changes, so it must be quick and must not call back into Readiness.

#ifndef WECOM_NOTIFY_LIBS_NOTIFY_SERVER_READINESS_H_
#define WECOM_NOTIFY_LIBS_NOTIFY_SERVER_READINESS_H_

#include <functional>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace wecom_notify::notify_server {

class Readiness {
 public:
  // Called with the new overall answer each time it flips (not on every Set).
  using OnChange = std::function<void(bool ready)>;

  explicit Readiness(OnChange on_change = nullptr) : on_change_(std::move(on_change)) {}

  // Records the latest outcome for `condition`: OK meets it, an error fails it. Transitions of
  // a condition are logged (warn with the error when it fails, info when it recovers).
  void Set(absl::string_view condition, const absl::Status& outcome);

  // OK when every condition is met; otherwise Unavailable whose message names each failed
  // condition with its error, e.g. "not ready: storage: disk I/O error".
  absl::Status Check() const;

  // Whether `condition` is met (a condition never Set is met).
  bool IsMet(absl::string_view condition) const;

 private:
  OnChange on_change_;
  mutable absl::Mutex mu_;
  // Failed conditions only, by name, with their error; empty means ready.
  std::map<std::string, absl::Status, std::less<>> failed_ ABSL_GUARDED_BY(mu_);
};

}  // namespace wecom_notify::notify_server

#endif  // WECOM_NOTIFY_LIBS_NOTIFY_SERVER_READINESS_H_
