// File: libs/alert/alert_proto.h
//
// Conversions between the wire message wecom_notify.v1.Alert and the in-memory Alert.

#ifndef WECOM_NOTIFY_LIBS_ALERT_ALERT_PROTO_H_
#define WECOM_NOTIFY_LIBS_ALERT_ALERT_PROTO_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/alert/alert.h"
#include "libs/alert/matcher.h"
#include "wecom_notify/v1/notify.pb.h"

namespace wecom_notify::alert {

// An unset Timestamp and Go's zero time (0001-01-01T00:00:00Z) both become InfinitePast.
// Output-only fields (fingerprint, status, updated_at) are ignored.
Alert FromProto(const wecom_notify::v1::Alert& proto);

// Fills every field, status computed at `now`. An unset time stays an unset Timestamp.
void ToProto(const Alert& alert, absl::Time now, wecom_notify::v1::Alert* proto);

// Errors: InvalidArgument naming the matcher (see Matcher::Create).
absl::StatusOr<Matcher> MatcherFromProto(const wecom_notify::v1::LabelMatcher& proto);

// Timestamp helpers shared by the converters above and the JSON wire format.
absl::Time TimeFromProto(const google::protobuf::Timestamp& ts);
void TimeToProto(absl::Time time, google::protobuf::Timestamp* ts);

}  // namespace wecom_notify::alert

#endif  // WECOM_NOTIFY_LIBS_ALERT_ALERT_PROTO_H_
