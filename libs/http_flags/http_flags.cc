#include "libs/http_flags/http_flags.h"

#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "libs/config/duration.h"

namespace wecom_notify::http_flags {
namespace po = boost::program_options;

ServerFlags::ServerFlags(std::string prefix, http::ServerOptions* server)
    : prefix_(std::move(prefix)),
      server_(server),
      read_timeout_(config::DurationToString(server->read_timeout)),
      idle_timeout_(config::DurationToString(server->idle_timeout)) {}

void ServerFlags::AddTo(po::options_description& flags) {
  // A paragraph per flag: clang-format would run them together.
  // clang-format off
  flags.add_options()
      (Flag("max-body-bytes").c_str(), po::value(&server_->max_body_bytes)
           ->default_value(server_->max_body_bytes),
       "Largest request body accepted; larger bodies get 413.")
      (Flag("read-timeout").c_str(), po::value(&read_timeout_)->default_value(read_timeout_),
       "Time allowed to receive a request's body once its header arrived, and to write "
       "an answer.")
      (Flag("idle-timeout").c_str(), po::value(&idle_timeout_)->default_value(idle_timeout_),
       "Time a connection may wait for a whole request header (keep-alive idling).")
      (Flag("threads").c_str(), po::value(&server_->threads)->default_value(server_->threads),
       "HTTP I/O threads.")
      (Flag("tls-cert-file").c_str(), po::value(&server_->tls_cert_file),
       absl::StrCat("PEM certificate chain; with --", Flag("tls-key-file"),
                    " serves HTTPS.").c_str())
      (Flag("tls-key-file").c_str(), po::value(&server_->tls_key_file),
       "PEM private key for TLS.");
  // clang-format on
}

absl::Status ServerFlags::Apply() {
  absl::StatusOr<absl::Duration> read =
      config::ParseDurationFlag(Flag("read-timeout"), read_timeout_, /*zero_allowed=*/false);
  if (!read.ok()) return read.status();
  absl::StatusOr<absl::Duration> idle =
      config::ParseDurationFlag(Flag("idle-timeout"), idle_timeout_, /*zero_allowed=*/false);
  if (!idle.ok()) return idle.status();
  if (server_->threads < 1) {
    return absl::InvalidArgumentError(absl::StrCat("--", Flag("threads"), ": must be at least 1"));
  }
  server_->read_timeout = *read;
  server_->idle_timeout = *idle;
  return absl::OkStatus();
}

}  // namespace wecom_notify::http_flags
