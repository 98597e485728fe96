// File: libs/admin/config_store.h
//
// ConfigStore holds notifyd's running configuration and changes it for the admin API:
// validated (the same parser as --config.file), persisted atomically (temp file in the same
// directory, fsync, rename over --config.file, fsync of the directory) so a restart keeps it,
// then applied at once through the `apply` callback (NotifyServer: receivers and route tree).
//
// Persisting rewrites the YAML document: the changed receiver is re-emitted, everything else is
// kept as parsed (comments are lost). Secrets given by api_secret_file / webhook_key_file stay
// file references; they are never inlined.
//
// Thread-safety: all methods may be called concurrently; changes are serialized.

#ifndef WECOM_NOTIFY_LIBS_ADMIN_CONFIG_STORE_H_
#define WECOM_NOTIFY_LIBS_ADMIN_CONFIG_STORE_H_

#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "libs/config/config.h"

namespace wecom_notify::admin {

class ConfigStore {
 public:
  using ApplyFn = std::function<absl::Status(const config::Config&)>;

  struct Snapshot {
    config::Config config;
    std::string version;  // changes with every change of the configuration
    std::string path;     // --config.file; empty: in memory only
  };

  // `initial` is running already (it is not applied again). `path` empty: updates are refused
  // with FailedPrecondition (there is nothing a restart would read them from).
  ConfigStore(config::Config initial, std::string path, ApplyFn apply);

  Snapshot Get() const;

  // Applies `config` (e.g. re-read from the file on SIGHUP) and makes it current. `text` is the
  // file content it was parsed from (the new version is its hash); nullptr: the file is read
  // again. On error nothing changes.
  absl::Status Replace(const config::Config& config, const std::string* text = nullptr);

  // The file's text as last read or written (what the running configuration came from).
  std::string Text() const;

  // Replaces the whole file with `yaml`. Errors: InvalidArgument from the parser (file, line,
  // key), FailedPrecondition without a file, Aborted when `expected_version` is non-empty and
  // differs, Internal when the file cannot be written, or the apply callback's error (the file
  // is then restored).
  absl::StatusOr<Snapshot> ApplyYaml(const std::string& yaml, const std::string& expected_version);

  // Replaces the receiver named `receiver.name` (NotFound when none is). Secrets: an entry with
  // *_file set is written as that file reference, else the inline secret is written.
  absl::StatusOr<Snapshot> UpdateReceiver(const config::ReceiverConfig& receiver,
                                          const std::string& expected_version);

 private:
  absl::StatusOr<Snapshot> CommitLocked(const std::string& text, const std::string& expected_version)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  const ApplyFn apply_;
  mutable absl::Mutex mu_;
  config::Config config_ ABSL_GUARDED_BY(mu_);
  std::string text_ ABSL_GUARDED_BY(mu_);     // the file's text as last read or written
  std::string version_ ABSL_GUARDED_BY(mu_);
  int generation_ ABSL_GUARDED_BY(mu_) = 0;   // in-memory changes (no file)
};

// Writes `text` to `path` atomically: a temp file next to it (keeping the old file's mode), fsync,
// rename, fsync of the directory. Errors: Internal naming the step.
absl::Status WriteFileAtomically(const std::string& path, const std::string& text);

// The YAML of one receiver as the configuration file writes it (api_url / proxy_url omitted when
// equal to the global defaults).
std::string ReceiverToYaml(const config::ReceiverConfig& receiver, const config::GlobalConfig& global);

}  // namespace wecom_notify::admin

#endif  // WECOM_NOTIFY_LIBS_ADMIN_CONFIG_STORE_H_
