#include "libs/auth/auth.h"

#include <openssl/crypto.h>

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace wecom_notify::auth {

absl::StatusOr<Authenticator> Authenticator::Create(const std::string& bearer_token,
                                                    const std::string& basic_username,
                                                    const std::string& basic_password) {
  Authenticator auth;
  if (!bearer_token.empty() && !basic_username.empty()) {
    return absl::InvalidArgumentError(
        "a bearer token and basic auth are mutually exclusive; set one");
  }
  if (!bearer_token.empty()) {
    auth.expected_ = absl::StrCat("Bearer ", bearer_token);
    auth.challenge_ = "Bearer";
  } else if (!basic_username.empty()) {
    auth.expected_ = absl::StrCat(
        "Basic ", absl::Base64Escape(absl::StrCat(basic_username, ":", basic_password)));
    auth.challenge_ = "Basic realm=\"wecom-notify\"";
  }
  return auth;
}

bool Authenticator::Allows(absl::string_view authorization_header) const {
  if (expected_.empty()) return true;
  if (authorization_header.size() != expected_.size()) return false;
  return CRYPTO_memcmp(authorization_header.data(), expected_.data(), expected_.size()) == 0;
}

void RotatingAuthenticator::Rotate(Authenticator next, absl::Time now) {
  previous_ = std::move(current_);
  previous_until_ = now + grace_;
  current_ = std::move(next);
}

bool RotatingAuthenticator::Allows(absl::string_view authorization_header,
                                   const Clock& clock) const {
  if (current_.Allows(authorization_header)) return true;
  // An authenticator requiring nothing would allow every request: rotation never opens the API.
  return previous_.required() && previous_.Allows(authorization_header) &&
         clock.Now() < previous_until_;
}

}  // namespace wecom_notify::auth
