// File: libs/cli/cli.h
//
// What every binary's command line shares: Prometheus-style dotted flags (`--log.level`,
// `--web.listen-address`) through Boost.Program_options, `--help`, `--version`, and the logging
// flags. A main describes its own flags, then calls ParseCommandLine().

#ifndef WECOM_NOTIFY_LIBS_CLI_CLI_H_
#define WECOM_NOTIFY_LIBS_CLI_CLI_H_

#include <boost/program_options.hpp>
#include <string>

#include "absl/status/statusor.h"

namespace wecom_notify::cli {

struct LogFlags {
  std::string level = "info";
  std::string format = "logfmt";
};

// Adds --log.level and --log.format to `options`, bound to `flags`.
void AddLogFlags(boost::program_options::options_description& options, LogFlags& flags);

// ParseCommandLine()
//
// Parses argv against `options` (plus --help and --version). On --help prints `usage` and the
// options and returns 0; on --version prints the version and returns 0; on a bad flag prints
// the error naming the flag and returns 2; otherwise initializes logging from `log_flags`
// (an invalid level or format is a bad flag) and returns -1: the caller goes on.
int ParseCommandLine(int argc, char** argv, const std::string& usage,
                     boost::program_options::options_description& options,
                     const LogFlags& log_flags);

// Turns off Abseil's mutex deadlock detection for the process. Debian builds libabsl without
// NDEBUG, which leaves the detection on, and gRPC locks absl::Mutex on every call: the cycle
// graph cost 2-8 % of notifyd's and the shim's CPU under load (docs/performance.md). Tests keep
// it on. Call first thing in main, before any thread starts.
void DisableMutexDeadlockDetection();

// ReadSecretFlag()
//
// The secret (token, password) in the file `path` given by --`flag`, without the trailing
// newline editors and `echo` add; "" when no path was given. Errors: ReadSecret's (NotFound,
// PermissionDenied; InvalidArgument for a file holding only whitespace), the message prefixed
// "--<flag>: " and naming the path, never the content.
absl::StatusOr<std::string> ReadSecretFlag(const std::string& flag, const std::string& path);

}  // namespace wecom_notify::cli

#endif  // WECOM_NOTIFY_LIBS_CLI_CLI_H_
