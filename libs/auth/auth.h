// File: libs/auth/auth.h
//
// The credentials a request carries in its Authorization header (gRPC: `authorization`
// metadata): a Bearer token or basic auth, as Alertmanager's and Prometheus' http_config send
// them, and the Bearer token notifyctl and webhook-shim present to notifyd's Admin API.
// Compared in constant time; the expected header is built once.
//
// RotatingAuthenticator keeps accepting the credentials a rotation replaced for a grace period.
// Why: the two ends of a rotated Kubernetes Secret see the new file at different times — each
// kubelet refreshes the mounts of its pods on its own sync, a minute or two apart, and this
// process compares its files every watch interval — while Alertmanager reads its
// credentials_file for every request and does not retry a 401 (a refused webhook notification
// is sent again only at the group's next flush, minutes later). With a grace period either end
// may change first. The same holds for the Admin API's token: webhook-shim relays POST
// /-/reload with the token file it follows on its own schedule.

#ifndef WECOM_NOTIFY_LIBS_AUTH_AUTH_H_
#define WECOM_NOTIFY_LIBS_AUTH_AUTH_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"

namespace wecom_notify::auth {

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

  // Whether any credentials are required.
  bool required() const { return !expected_.empty(); }

 private:
  std::string expected_;  // the whole expected header value; empty = no auth
  std::string challenge_;
};

// Thread-safety: none; the owner serializes Rotate with Allows (a reader lock suffices for
// Allows).
class RotatingAuthenticator {
 public:
  // `current` is in use; after each Rotate the credentials it replaced are still accepted for
  // `grace` (zero: refused at once).
  RotatingAuthenticator(Authenticator current, absl::Duration grace)
      : current_(std::move(current)), grace_(grace) {}

  // Makes `next` the credentials in use at `now`; those it replaces are accepted until
  // now + grace. Credentials replaced earlier are refused from then on.
  void Rotate(Authenticator next, absl::Time now);

  // True when `authorization_header` carries the credentials in use, or those replaced last
  // while their grace lasts (`clock` is read only then, so a request with the current
  // credentials costs no clock read).
  bool Allows(absl::string_view authorization_header, const Clock& clock) const;

  // The challenge of the credentials in use.
  const std::string& challenge() const { return current_.challenge(); }

  // Whether the credentials in use require any (replaced ones never open the API).
  bool required() const { return current_.required(); }

 private:
  Authenticator current_;
  Authenticator previous_;
  absl::Time previous_until_ = absl::InfinitePast();
  absl::Duration grace_;
};

}  // namespace wecom_notify::auth

#endif  // WECOM_NOTIFY_LIBS_AUTH_AUTH_H_
