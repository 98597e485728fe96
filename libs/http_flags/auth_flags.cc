#include "libs/http_flags/auth_flags.h"

#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "libs/cli/cli.h"
#include "libs/config/duration.h"

namespace wecom_notify::http_flags {
namespace po = boost::program_options;

AuthFlags::AuthFlags(std::string prefix, std::string watched_by, shim::ShimOptions* options)
    : prefix_(std::move(prefix)),
      watched_by_(std::move(watched_by)),
      options_(options),
      rotation_grace_(config::DurationToString(options->credentials_rotation_grace)) {}

void AuthFlags::AddTo(po::options_description& flags) {
  // A paragraph per flag: clang-format would run them together.
  // clang-format off
  flags.add_options()
      (Flag("bearer-token-file").c_str(), po::value(&bearer_token_file_),
       absl::StrCat("File holding a token; requests must send 'Authorization: Bearer <token>'. ",
                    watched_by_).c_str())
      (Flag("basic-username").c_str(), po::value(&basic_username_),
       "Require HTTP basic auth with this username.")
      (Flag("basic-password-file").c_str(), po::value(&basic_password_file_),
       absl::StrCat("File holding the basic-auth password. ", watched_by_).c_str())
      (Flag("rotation-grace").c_str(), po::value(&rotation_grace_)->default_value(rotation_grace_),
       absl::StrCat("How long the token or password a changed --", prefix_, ".auth.* file "
                    "replaced is still accepted, so that Alertmanager (which does not retry a "
                    "401) and this server may see a rotated Secret at different times. 0: "
                    "refused at once.").c_str());
  // clang-format on
}

absl::Status AuthFlags::Apply() {
  absl::StatusOr<absl::Duration> grace =
      config::ParseDurationFlag(Flag("rotation-grace"), rotation_grace_, /*zero_allowed=*/true);
  if (!grace.ok()) return grace.status();
  if (!bearer_token_file_.empty() && !basic_username_.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--", Flag("bearer-token-file"), " and --",
                                                   Flag("basic-username"),
                                                   " are mutually exclusive; set one"));
  }
  absl::StatusOr<std::string> token =
      cli::ReadSecretFlag(Flag("bearer-token-file"), bearer_token_file_);
  if (!token.ok()) return token.status();
  absl::StatusOr<std::string> password =
      cli::ReadSecretFlag(Flag("basic-password-file"), basic_password_file_);
  if (!password.ok()) return password.status();
  options_->bearer_token = *std::move(token);
  options_->bearer_token_file = bearer_token_file_;
  options_->basic_username = basic_username_;
  options_->basic_password = *std::move(password);
  options_->basic_password_file = basic_password_file_;
  options_->credentials_rotation_grace = *grace;
  return absl::OkStatus();
}

}  // namespace wecom_notify::http_flags
