#include "libs/shim/auth.h"

#include <openssl/crypto.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace wecom_notify::shim {

absl::StatusOr<Authenticator> Authenticator::Create(const std::string& bearer_token,
                                                    const std::string& basic_username,
                                                    const std::string& basic_password) {
  Authenticator auth;
  if (!bearer_token.empty() && !basic_username.empty()) {
    return absl::InvalidArgumentError(
        "web.auth: a bearer token and basic auth are mutually exclusive; set one");
  }
  if (!bearer_token.empty()) {
    auth.expected_ = absl::StrCat("Bearer ", bearer_token);
    auth.challenge_ = "Bearer";
  } else if (!basic_username.empty()) {
    auth.expected_ =
        absl::StrCat("Basic ", absl::Base64Escape(absl::StrCat(basic_username, ":", basic_password)));
    auth.challenge_ = "Basic realm=\"wecom-notify\"";
  }
  return auth;
}

bool Authenticator::Allows(absl::string_view authorization_header) const {
  if (expected_.empty()) return true;
  if (authorization_header.size() != expected_.size()) return false;
  return CRYPTO_memcmp(authorization_header.data(), expected_.data(), expected_.size()) == 0;
}

}  // namespace wecom_notify::shim
