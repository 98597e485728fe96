// File: libs/http_flags/auth_flags.h
//
// The command-line flags that set the credentials every request to Alertmanager's API must
// carry, the same under each binary's prefix: webhook-shim's --web.auth.* and notifyd's
// --alerts-api.auth.* (as ServerFlags does for the server's limits, and for the same reason).
//
//   --<prefix>.auth.bearer-token-file     requests send 'Authorization: Bearer <token>'
//   --<prefix>.auth.basic-username        with .auth.basic-password-file: HTTP basic auth
//   --<prefix>.auth.basic-password-file
//   --<prefix>.auth.rotation-grace        how long a replaced token or password still works
//
// How often the files are compared with the credentials in use is each binary's own flag
// (the shim's --web.auth.watch-interval, notifyd's --config.watch-interval).

#ifndef WECOM_NOTIFY_LIBS_HTTP_FLAGS_AUTH_FLAGS_H_
#define WECOM_NOTIFY_LIBS_HTTP_FLAGS_AUTH_FLAGS_H_

#include <boost/program_options.hpp>
#include <string>

#include "absl/status/status.h"
#include "libs/shim/shim.h"

namespace wecom_notify::http_flags {

class AuthFlags {
 public:
  // Flags named `prefix`.auth.<name> that set `*options`' credentials. `watched_by` ends the
  // help of the file flags, saying when a changed file applies. `options` must outlive this
  // object.
  AuthFlags(std::string prefix, std::string watched_by, shim::ShimOptions* options);

  // Adds the flags to `flags`.
  void AddTo(boost::program_options::options_description& flags);

  // Call after the command line was parsed: reads the files and stores the credentials, their
  // files and the rotation grace into the options. Errors name the flag (never a file's
  // content): InvalidArgument when the grace is not a duration, or a token and a username are
  // both given (one kind of auth only, as in http_config); ReadSecret's error (NotFound,
  // PermissionDenied; InvalidArgument for an empty file) when a file cannot be used. The
  // options are then unchanged.
  absl::Status Apply();

 private:
  std::string Flag(const char* name) const { return prefix_ + ".auth." + name; }

  const std::string prefix_;
  const std::string watched_by_;
  shim::ShimOptions* const options_;
  std::string bearer_token_file_;
  std::string basic_username_;
  std::string basic_password_file_;
  // As given, parsed by Apply (Prometheus' duration format).
  std::string rotation_grace_;
};

}  // namespace wecom_notify::http_flags

#endif  // WECOM_NOTIFY_LIBS_HTTP_FLAGS_AUTH_FLAGS_H_
