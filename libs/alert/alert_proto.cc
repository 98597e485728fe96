#include "libs/alert/alert_proto.h"

#include <vector>

#include "absl/container/inlined_vector.h"

#include "libs/alert/fingerprint.h"

namespace wecom_notify::alert {
namespace {

// 0001-01-01T00:00:00Z, Go's zero time.
constexpr int64_t kGoZeroTimeSeconds = -62135596800;

LabelSet LabelSetFromMap(const google::protobuf::Map<std::string, std::string>& map) {
  // Views into the request: the set copies the characters once, into its single block.
  absl::InlinedVector<LabelView, 8> labels;
  labels.reserve(map.size());
  for (const auto& [name, value] : map) labels.push_back(LabelView{name, value});
  return LabelSet::FromViews(absl::MakeSpan(labels));
}

void LabelSetToMap(const LabelSet& set, google::protobuf::Map<std::string, std::string>* map) {
  for (const LabelView label : set) (*map)[std::string(label.name)] = std::string(label.value);
}

}  // namespace

absl::Time TimeFromProto(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() <= kGoZeroTimeSeconds) return absl::InfinitePast();
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

void TimeToProto(absl::Time time, google::protobuf::Timestamp* ts) {
  const int64_t seconds = absl::ToUnixSeconds(time);
  ts->set_seconds(seconds);
  ts->set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(time - absl::FromUnixSeconds(seconds))));
}

Alert FromProto(const wecom_notify::v1::Alert& proto) {
  Alert alert;
  alert.labels = LabelSetFromMap(proto.labels());
  alert.annotations = LabelSetFromMap(proto.annotations());
  if (proto.has_starts_at()) alert.starts_at = TimeFromProto(proto.starts_at());
  if (proto.has_ends_at()) alert.ends_at = TimeFromProto(proto.ends_at());
  alert.generator_url = proto.generator_url();
  return alert;
}

void ToProto(const Alert& alert, absl::Time now, wecom_notify::v1::Alert* proto) {
  LabelSetToMap(alert.labels, proto->mutable_labels());
  LabelSetToMap(alert.annotations, proto->mutable_annotations());
  if (alert.starts_at != absl::InfinitePast()) TimeToProto(alert.starts_at, proto->mutable_starts_at());
  if (alert.ends_at != absl::InfinitePast()) TimeToProto(alert.ends_at, proto->mutable_ends_at());
  if (alert.updated_at != absl::InfinitePast()) {
    TimeToProto(alert.updated_at, proto->mutable_updated_at());
  }
  proto->set_generator_url(alert.generator_url.str());
  proto->set_fingerprint(FingerprintToHex(alert.fingerprint));
  proto->set_status(alert.ResolvedAt(now) ? wecom_notify::v1::ALERT_STATUS_RESOLVED
                                          : wecom_notify::v1::ALERT_STATUS_FIRING);
}

absl::StatusOr<Matcher> MatcherFromProto(const wecom_notify::v1::LabelMatcher& proto) {
  using V1 = wecom_notify::v1::LabelMatcher;
  Matcher::Type type = Matcher::Type::kEqual;
  switch (proto.type()) {
    case V1::EQUAL:
      type = Matcher::Type::kEqual;
      break;
    case V1::NOT_EQUAL:
      type = Matcher::Type::kNotEqual;
      break;
    case V1::REGEX:
      type = Matcher::Type::kRegex;
      break;
    case V1::NOT_REGEX:
      type = Matcher::Type::kNotRegex;
      break;
    default:
      return absl::InvalidArgumentError("matchers: unknown matcher type " +
                                        std::to_string(proto.type()));
  }
  return Matcher::Create(proto.name(), type, proto.value());
}

}  // namespace wecom_notify::alert
