// File: libs/admin/convert.h
//
// The configuration <-> wecom_notify.v1 admin messages (one schema: each field means what the
// YAML key of the same name means), with secrets masked on the way out, and the send reports of
// libs/delivery as DestinationResult.

#ifndef WECOM_NOTIFY_LIBS_ADMIN_CONVERT_H_
#define WECOM_NOTIFY_LIBS_ADMIN_CONVERT_H_

#include "absl/status/statusor.h"
#include "libs/config/config.h"
#include "libs/delivery/test_message.h"
#include "wecom_notify/v1/admin.pb.h"

namespace wecom_notify::admin {

// What reads answer in place of a secret.
inline constexpr char kSecretMask[] = "<secret>";

// MaskUrlPassword()
//
// `url` with the password of its userinfo ("http://user:password@proxy:3128", scheme optional,
// as libcurl takes a proxy) replaced by kSecretMask: an egress proxy's password is as secret as
// an app secret, and reads answer the proxy URLs. Without a password, `url` as it is.
std::string MaskUrlPassword(const std::string& url);

v1::Receiver ToProto(const config::ReceiverConfig& receiver);
v1::Config ToProto(const config::Config& config);

// FromProto()
//
// The receiver `in` describes. Empty or masked secrets (and empty *_file) are taken from the
// entry at the same index of `current` (nullable); a new secret given inline drops the entry's
// file reference; a new *_file reference is read at once (relative paths against `base_dir`,
// the configuration file's directory), so the result can send. Empty api_url / proxy_url take
// the global defaults; a proxy_url whose password is masked is the current entry's or the
// global one that masks to it. Errors: InvalidArgument / NotFound naming the field (unknown
// message_type, missing secret, unreadable or empty secret file, a masked proxy password
// matching no running proxy_url); the remaining validation is
// the configuration parser's.
absl::StatusOr<config::ReceiverConfig> FromProto(const v1::Receiver& in,
                                                 const config::ReceiverConfig* current,
                                                 const config::GlobalConfig& global,
                                                 const std::string& base_dir = ".");

v1::DestinationResult ToProto(const std::string& receiver, const delivery::DestinationResult& r);

}  // namespace wecom_notify::admin

#endif  // WECOM_NOTIFY_LIBS_ADMIN_CONVERT_H_
