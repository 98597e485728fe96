// File: tests/testing/testing.h
//
// Helpers for tests that run real processes: our binaries, Alertmanager, Prometheus, the WeCom
// simulator. Every process started here binds to 127.0.0.1, is stopped by its PID (SIGKILL at
// the latest when its Process object dies), and every wait is bounded.

#ifndef WECOM_NOTIFY_TESTS_TESTING_TESTING_H_
#define WECOM_NOTIFY_TESTS_TESTING_TESTING_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace wecom_notify::testing {

// $WECOM_NOTIFY_BIN_DIR/<name>: a binary this build produced.
std::string BinPath(const std::string& name);

// A fresh directory under $TMPDIR (or /tmp). When the test program ends it is removed with all
// it holds if every test passed, and kept — named on stderr — if one failed: a failed test's
// files (process logs, databases) are worth reading, a passed one's only fill the disk of a
// developer who runs the tests again and again.
std::string MakeTempDir(const std::string& prefix);

// A TCP port on 127.0.0.1 that was free a moment ago, outside the kernel's ephemeral range (so no
// client connection takes it meanwhile) where that range leaves room below it.
int FreePort();

// Writes `text` to `path`; aborts the test binary on failure.
void WriteFile(const std::string& path, const std::string& text);
std::string ReadFile(const std::string& path);

class Process {
 public:
  // Starts argv[0] with argv; stdout and stderr go to `log_path` (Output() reads it back).
  static absl::StatusOr<std::unique_ptr<Process>> Start(std::vector<std::string> argv,
                                                        const std::string& log_path);
  ~Process();  // SIGKILL and reap when still running

  pid_t pid() const { return pid_; }
  bool Running();
  // Sends `signal`, then waits up to `timeout` for the exit; SIGKILL after that. Returns the
  // wait status (see waitpid), or -1 if the process had already been reaped.
  int Stop(int signal, absl::Duration timeout = absl::Seconds(10));
  std::string Output() const;

 private:
  Process(pid_t pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}
  pid_t pid_;
  std::string log_path_;
  bool reaped_ = false;
  int wait_status_ = -1;
};

// A self-signed certificate for CN 127.0.0.1 and its key, which openssl writes into `dir`.
struct TlsFiles {
  std::string cert;  // PEM
  std::string key;   // PEM, unencrypted
};
absl::StatusOr<TlsFiles> MakeSelfSignedCert(const std::string& dir);

struct HttpResult {
  long status = 0;      // 0 when the request failed below HTTP
  std::string body;
  std::string error;    // libcurl's error text when status == 0
};

HttpResult HttpRequest(const std::string& method, const std::string& url,
                       const std::string& body = "",
                       const std::vector<std::string>& headers = {"Content-Type: application/json"},
                       absl::Duration timeout = absl::Seconds(10));

// Polls `condition` every `step` until it holds or `timeout` passes. Returns whether it held.
bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout,
             absl::Duration step = absl::Milliseconds(50));

}  // namespace wecom_notify::testing

#endif  // WECOM_NOTIFY_TESTS_TESTING_TESTING_H_
