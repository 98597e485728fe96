// File: libs/http_flags/http_flags.h
//
// The command-line flags that size and secure an HTTP server serving Alertmanager's API, the
// same under each binary's prefix: webhook-shim's --web.* and notifyd's --alerts-api.*. Both
// serve the same endpoints to the same clients, so a user who tunes one (a larger
// --web.max-body-bytes for big webhook groups, a shorter idle timeout behind a load balancer)
// finds the same knob on the other; one definition keeps their names, defaults and help alike.
//
//   --<prefix>.max-body-bytes   larger bodies get 413
//   --<prefix>.read-timeout     Prometheus duration, > 0
//   --<prefix>.idle-timeout     Prometheus duration, > 0
//   --<prefix>.threads          HTTP I/O threads, >= 1
//   --<prefix>.tls-cert-file, --<prefix>.tls-key-file
//
// The listen address is not among them: its default and meaning differ per binary (the shim
// always serves, notifyd's API is off unless given one).

#ifndef WECOM_NOTIFY_LIBS_HTTP_FLAGS_HTTP_FLAGS_H_
#define WECOM_NOTIFY_LIBS_HTTP_FLAGS_HTTP_FLAGS_H_

#include <boost/program_options.hpp>
#include <string>

#include "absl/status/status.h"
#include "libs/http/server.h"

namespace wecom_notify::http_flags {

class ServerFlags {
 public:
  // Flags named `prefix`.<name> bound to `*server`, whose current values are the defaults
  // --help shows. `server` must outlive this object.
  ServerFlags(std::string prefix, http::ServerOptions* server);

  // Adds the flags to `flags`.
  void AddTo(boost::program_options::options_description& flags);

  // Call after the command line was parsed: stores the timeouts into the server's options.
  // InvalidArgument naming the flag when a timeout is not a duration or not positive, or the
  // thread count is below 1; the options are then unchanged.
  absl::Status Apply();

 private:
  std::string Flag(const char* name) const { return prefix_ + "." + name; }

  const std::string prefix_;
  http::ServerOptions* const server_;
  // The timeouts as given, parsed by Apply (Prometheus' duration format: "30s", "1m30s").
  std::string read_timeout_;
  std::string idle_timeout_;
};

}  // namespace wecom_notify::http_flags

#endif  // WECOM_NOTIFY_LIBS_HTTP_FLAGS_HTTP_FLAGS_H_
