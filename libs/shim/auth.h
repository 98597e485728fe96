// File: libs/shim/auth.h
//
// The credentials Alertmanager's and Prometheus' http_config send: `authorization` (Bearer
// token) or `basic_auth`. Compared in constant time; the expected header is built once.

#ifndef WECOM_NOTIFY_LIBS_SHIM_AUTH_H_
#define WECOM_NOTIFY_LIBS_SHIM_AUTH_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace wecom_notify::shim {

class Authenticator {
 public:
  // No credentials: every request is allowed. Errors: InvalidArgument when both a bearer token
  // and a basic username are given (http_config allows only one).
  static absl::StatusOr<Authenticator> Create(const std::string& bearer_token,
                                              const std::string& basic_username,
                                              const std::string& basic_password);

  // True when no auth is configured or `authorization_header` carries the credentials.
  bool Allows(absl::string_view authorization_header) const;

  // The WWW-Authenticate challenge for a 401 ("" when no auth is configured).
  const std::string& challenge() const { return challenge_; }

 private:
  std::string expected_;   // the whole expected header value; empty = no auth
  std::string challenge_;
};

}  // namespace wecom_notify::shim

#endif  // WECOM_NOTIFY_LIBS_SHIM_AUTH_H_
