// File: libs/wecom/redact.h
//
// Secrets never reach a log line, an error message or a metric label. The three WeCom secrets are
// the app secret (`corpsecret=` on gettoken), the access token (`access_token=` on every app call)
// and the robot key (`key=` on webhook/send, the robot's only credential). All three travel in a
// URL query, so redacting those parameters wherever they appear in a text covers URLs, libcurl
// error strings and anything that quotes a URL.
//
// Thread-safety: pure functions.

#ifndef WECOM_NOTIFY_LIBS_WECOM_REDACT_H_
#define WECOM_NOTIFY_LIBS_WECOM_REDACT_H_

#include <string>

#include "absl/strings/string_view.h"

namespace wecom_notify::wecom {

// The text every secret value is replaced with.
inline constexpr absl::string_view kRedacted = "REDACTED";

// Returns `text` with the value of every `access_token=`, `corpsecret=` and `key=` parameter
// replaced by kRedacted. A value ends at `&`, `#`, whitespace, a quote, `<`, `>` or the end of the
// text. Matching is case-insensitive and anchored on a parameter boundary (`?`, `&`, or the start
// of a word), so `monkey=1` is left alone. Use it on every URL before logging it.
std::string RedactSecrets(absl::string_view text);

// A short, stable, non-reversible name for a secret (e.g. a robot key) for logs and metric labels:
// "robot-" followed by 8 hex digits of a 32-bit FNV-1a hash. Different keys may collide; it is for
// telling robots apart in logs, not for identity.
std::string SecretFingerprint(absl::string_view secret);

}  // namespace wecom_notify::wecom

#endif  // WECOM_NOTIFY_LIBS_WECOM_REDACT_H_
