#include "libs/alertmanager_json/alertmanager_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "libs/alert/alert_proto.h"
#include "libs/notify_wire/notify_decoder.h"
#include "tests/testing/mutate.h"

namespace wecom_notify::alertmanager_json {
namespace {

using ::testing::HasSubstr;

// The parsers encode the request (libs/notify_wire); read it back as notifyd decodes it.
absl::StatusOr<wecom_notify::v1::NotifyRequest> Decoded(
    absl::StatusOr<notify_wire::EncodedNotifyRequest> encoded) {
  if (!encoded.ok()) return encoded.status();
  wecom_notify::v1::NotifyRequest request;
  if (!request.ParseFromString(std::move(*encoded).Release())) {
    return absl::InternalError("the encoded request does not decode");
  }
  return request;
}

absl::StatusOr<wecom_notify::v1::NotifyRequest> DecodedWebhookBody(absl::string_view body) {
  return Decoded(ParseWebhookBody(std::string(body)));
}

absl::StatusOr<wecom_notify::v1::NotifyRequest> DecodedAlertsBody(absl::string_view body) {
  return Decoded(ParseAlertsBody(std::string(body)));
}

// A webhook body captured from Alertmanager 0.25 (research/alertmanager.md §1.1).
constexpr char kCapturedWebhook[] =
    R"({"receiver":"hook","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"DiskFull","instance":"h1","severity":"critical"},"annotations":{"summary":"disk full"},"startsAt":"2026-11-25T04:59:16.576493259Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prom.example/graph?g0.expr=x","fingerprint":"3e3095adf7ad569a"},{"status":"firing","labels":{"alertname":"DiskFull","instance":"h2","severity":"critical"},"annotations":{"summary":"disk full"},"startsAt":"2026-11-25T04:59:16.576493259Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"","fingerprint":"c2858fd1aa15668d"}],"groupLabels":{"alertname":"DiskFull"},"commonLabels":{"alertname":"DiskFull","severity":"critical"},"commonAnnotations":{"summary":"disk full"},"externalURL":"http://alertmanager.example:9093","version":"4","groupKey":"{}:{alertname=\"DiskFull\"}","truncatedAlerts":0})";

TEST(ParseWebhookTest, ReadsAlertmanagerPayloadV4) {
  auto request = DecodedWebhookBody(kCapturedWebhook);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->source(), wecom_notify::v1::ALERT_SOURCE_WEBHOOK);
  const auto& meta = request->webhook();
  EXPECT_EQ(meta.receiver(), "hook");
  EXPECT_EQ(meta.status(), "firing");
  EXPECT_EQ(meta.group_key(), "{}:{alertname=\"DiskFull\"}");
  EXPECT_EQ(meta.group_labels().at("alertname"), "DiskFull");
  EXPECT_EQ(meta.common_labels().at("severity"), "critical");
  EXPECT_EQ(meta.common_annotations().at("summary"), "disk full");
  EXPECT_EQ(meta.external_url(), "http://alertmanager.example:9093");
  EXPECT_EQ(meta.version(), "4");
  ASSERT_EQ(request->alerts_size(), 2);
  const auto& first = request->alerts(0);
  EXPECT_EQ(first.labels().at("instance"), "h1");
  EXPECT_EQ(first.annotations().at("summary"), "disk full");
  EXPECT_EQ(first.generator_url(), "http://prom.example/graph?g0.expr=x");
  EXPECT_EQ(alert::TimeFromProto(first.starts_at()),
            absl::FromUnixNanos(1795582756576493259));
  // Go's zero time marks a firing alert: no endsAt.
  EXPECT_FALSE(first.has_ends_at());
}

TEST(ParseWebhookTest, UnknownFieldsAreIgnored) {
  auto request = DecodedWebhookBody(
      R"({"version":"4","alerts":[{"labels":{"a":"b"},"newField":{"x":1}}],"routeLabels":{},"notification_reason":"x"})");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->alerts_size(), 1);
}

TEST(ParseWebhookTest, OtherVersionsAndArraysAreRefused) {
  EXPECT_THAT(std::string(DecodedWebhookBody(R"({"version":"3","alerts":[]})").status().message()),
              HasSubstr("version"));
  EXPECT_THAT(std::string(DecodedWebhookBody(R"([{"labels":{"a":"b"}}])").status().message()),
              HasSubstr("expected a webhook object"));
  EXPECT_THAT(std::string(DecodedWebhookBody(R"({"receiver":"x"})").status().message()),
              HasSubstr("alerts: is required"));
}

TEST(ParseAlertsBodyTest, ReadsPostableAlertsAsPrometheusSendsThem) {
  auto request = DecodedAlertsBody(
      R"([{"labels":{"alertname":"HighLatency","job":"api"},"annotations":{"summary":"p99 > 1s"},"startsAt":"2026-11-25T05:00:00.123+08:00","endsAt":"2026-11-25T05:04:00Z","generatorURL":"http://prom:9090/graph?g0.expr=up"}])");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->source(), wecom_notify::v1::ALERT_SOURCE_API);
  ASSERT_EQ(request->alerts_size(), 1);
  const auto& a = request->alerts(0);
  EXPECT_EQ(a.labels().at("job"), "api");
  EXPECT_EQ(alert::TimeFromProto(a.starts_at()),
            absl::FromUnixMillis(1795554000123));
  EXPECT_TRUE(a.has_ends_at());
}

TEST(ParseAlertsBodyTest, AcceptsAWebhookObjectOnTheSameUrl) {
  auto request = DecodedAlertsBody(kCapturedWebhook);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->source(), wecom_notify::v1::ALERT_SOURCE_WEBHOOK);
  EXPECT_EQ(request->alerts_size(), 2);
}

TEST(ParseAlertsBodyTest, ARepeatedKeyCountsAsItsLastValue) {
  auto request = DecodedAlertsBody(
      R"([{"labels":{"severity":"warning","severity":"critical"},)"
      R"("startsAt":"2026-11-25T04:59:16Z","startsAt":"","endsAt":"2026-11-25T05:00:00Z",)"
      R"("generatorURL":"http://a","generatorURL":"http://b"}])");
  ASSERT_TRUE(request.ok()) << request.status();
  ASSERT_EQ(request->alerts_size(), 1);
  const auto& alert = request->alerts(0);
  EXPECT_EQ(alert.labels().at("severity"), "critical");
  EXPECT_FALSE(alert.has_starts_at());
  EXPECT_EQ(alert::TimeFromProto(alert.ends_at()), absl::FromUnixSeconds(1795582800));
  EXPECT_EQ(alert.generator_url(), "http://b");
}

// A body without spare capacity (copied before parsing) and one whose spare capacity holds more
// JSON (parsed in place: only the body's own length counts) read the same.
TEST(ParseAlertsBodyTest, ParsesInPlaceOnlyWhenTheCapacityLeavesThePadding) {
  const std::string text =
      R"([{"labels":{"alertname":"Tight","job":"api"}},{"labels":{"alertname":"Two"}}])";
  std::string tight(text);
  tight.shrink_to_fit();
  std::string spare(text);
  spare.append(R"(,{"labels":{"alertname":"Three"}}])");
  spare.reserve(spare.size() + 64);
  spare.resize(text.size());
  for (const std::string* body : {&tight, &spare}) {
    auto request = Decoded(ParseAlertsBody(*body));
    ASSERT_TRUE(request.ok()) << request.status();
    ASSERT_EQ(request->alerts_size(), 2);
    EXPECT_EQ(request->alerts(1).labels().at("alertname"), "Two");
  }
}

TEST(ParseAlertsBodyTest, EmptyArrayIsFine) {
  auto request = DecodedAlertsBody("[]");
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->alerts_size(), 0);
}

TEST(ParseAlertsBodyTest, SyntaxErrorsNameThePosition) {
  auto bad = DecodedAlertsBody("[{\"labels\": {\"a\": \"b\",}}]");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("invalid JSON"));
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("column"));
}

TEST(ParseAlertsBodyTest, TruncatedBodyIsAnError) {
  std::string body = R"([{"labels":{"alertname":"x"}}])";
  auto bad = DecodedAlertsBody(body.substr(0, body.size() - 5));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("invalid JSON"));
}

TEST(ParseAlertsBodyTest, NonUtf8IsAnError) {
  auto bad = DecodedAlertsBody("[{\"labels\":{\"alertname\":\"\xff\xfe\"}}]");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("invalid JSON"));
}

TEST(ParseAlertsBodyTest, TypeErrorsNameTheField) {
  EXPECT_EQ(DecodedAlertsBody(R"([{"labels":{"a":"b"}},{"labels":{"severity":3}}])").status().message(),
            "[1].labels.severity: expected a string, got number");
  EXPECT_EQ(DecodedAlertsBody(R"([{"annotations":{}}])").status().message(),
            "[0].labels: is required");
  EXPECT_EQ(DecodedAlertsBody(R"([{"labels":{"a":"b"},"startsAt":"yesterday"}])").status().message()
                .substr(0, 13),
            "[0].startsAt:");
  EXPECT_EQ(DecodedAlertsBody(R"("hello")").status().message(),
            "(body): expected an array of alerts or a webhook object, got string");
  EXPECT_EQ(DecodedAlertsBody(R"([1])").status().message(),
            "[0]: expected an alert object, got number");
}

// What DecodeAlertsBody / DecodeWebhookBody must give for a body: notifyd's decoding of the
// Parse function's encoding.
absl::StatusOr<notify_wire::DecodedNotifyRequest> ThroughTheWire(
    absl::StatusOr<notify_wire::EncodedNotifyRequest> encoded) {
  if (!encoded.ok()) return encoded.status();
  return notify_wire::DecodeNotifyRequest(std::move(*encoded).Release());
}

void ExpectSameAlerts(const absl::StatusOr<notify_wire::DecodedNotifyRequest>& decoded,
                      const absl::StatusOr<notify_wire::DecodedNotifyRequest>& wire,
                      absl::string_view body) {
  SCOPED_TRACE(body);
  ASSERT_EQ(decoded.status(), wire.status());
  if (!wire.ok()) return;
  EXPECT_EQ(decoded->source, wire->source);
  ASSERT_EQ(decoded->alerts.size(), wire->alerts.size());
  for (std::size_t i = 0; i < wire->alerts.size(); ++i) {
    const alert::Alert& got = decoded->alerts[i];
    const alert::Alert& want = wire->alerts[i];
    EXPECT_EQ(got.labels, want.labels) << i;
    EXPECT_EQ(got.annotations, want.annotations) << i;
    EXPECT_EQ(got.starts_at, want.starts_at) << i;
    EXPECT_EQ(got.ends_at, want.ends_at) << i;
    EXPECT_EQ(got.updated_at, want.updated_at) << i;
    EXPECT_EQ(got.generator_url.view(), want.generator_url.view()) << i;
    EXPECT_EQ(got.fingerprint, want.fingerprint) << i;
    EXPECT_EQ(got.ends_at_from_timeout, want.ends_at_from_timeout) << i;
  }
}

// Bodies that reach every branch of the walk and every conversion the wire makes: repeated keys,
// nulls, Go's zero time and times within its second, sub-nanosecond digits, far years, escapes,
// URL changes, and errors.
constexpr const char* kAlertsBodies[] = {
    "[]",
    R"([{"labels":{"alertname":"A","job":"api"},"annotations":{"summary":"s"},)"
    R"("startsAt":"2026-11-25T04:59:16.576493259Z","endsAt":"2026-11-25T05:59:16+08:00",)"
    R"("generatorURL":"http://prom/graph"},{"labels":{"alertname":"B"},)"
    R"("generatorURL":"http://prom/graph"},{"labels":{"alertname":"C"},"generatorURL":"http://x"}])",
    R"([{"labels":{"severity":"warning","severity":"critical"},"startsAt":"2026-11-25T04:59:16Z",)"
    R"("startsAt":"","endsAt":null,"endsAt":"2026-11-25T05:00:00Z","generatorURL":"http://a",)"
    R"("generatorURL":"http://b","annotations":null,"status":"firing","fingerprint":"x"}])",
    R"([{"labels":{"a":"","b":"\u00e9\ud83d\ude00\n","":"empty name"},"annotations":{"k":""}}])",
    R"([{"labels":{"a":"b"},"startsAt":"0001-01-01T00:00:00Z","endsAt":"0001-01-01T00:00:00.5Z"}])",
    R"([{"labels":{"a":"b"},"startsAt":"2026-11-25T04:59:16.1234567891Z",)"
    R"("endsAt":"9999-12-31T23:59:59.999999999Z"}])",
    R"([{"labels":{"a":"b"},"startsAt":"1600-01-01T00:00:00Z","endsAt":"2300-01-01T00:00:00Z"}])",
    R"([{"labels":{"a":"b"},"startsAt":"infinite-future"}])",
    R"([{"labels":{"a":"b"}},{"labels":{"severity":3}}])",
    R"([{"annotations":{}}])",
    R"([{"labels":{"a":"b"},"startsAt":"yesterday"}])",
    R"([1])",
    R"("hello")",
    R"([{"labels":{"a":"b",}}])",
    R"({"receiver":"x"})",
    R"({"version":"3","alerts":[]})",
    R"({"alerts":[{"labels":{"a":"1"}}],"alerts":[{"labels":{"a":"2"}},{"labels":{"a":"3"}}]})",
    kCapturedWebhook,
};

TEST(DecodeAlertsBodyTest, GivesWhatNotifydDecodesFromTheEncoding) {
  for (const char* body : kAlertsBodies) {
    ExpectSameAlerts(DecodeAlertsBody(body), ThroughTheWire(ParseAlertsBody(body)), body);
    ExpectSameAlerts(DecodeWebhookBody(body), ThroughTheWire(ParseWebhookBody(body)), body);
  }
}

// Malformed neighbours of every body above (tests/testing/mutate.h): the direct decode and the
// way through the wire still agree, on the alerts or on the error, and an error says where.
TEST(DecodeAlertsBodyTest, MutatedBodiesDecodeAlikeOrFailAlike) {
  std::mt19937 random = wecom_notify::testing::MutationRandom();
  int accepted = 0, refused = 0;
  for (const char* body : kAlertsBodies) {
    for (int i = 0; i < 1000 && !::testing::Test::HasFailure(); ++i) {
      const std::string mutated = wecom_notify::testing::Mutate(body, random);
      const auto wire = ThroughTheWire(ParseAlertsBody(mutated));
      ExpectSameAlerts(DecodeAlertsBody(mutated), wire, mutated);
      ExpectSameAlerts(DecodeWebhookBody(mutated), ThroughTheWire(ParseWebhookBody(mutated)),
                       mutated);
      if (wire.ok()) {
        ++accepted;
      } else {
        ++refused;
        EXPECT_EQ(wire.status().code(), absl::StatusCode::kInvalidArgument) << mutated;
        EXPECT_FALSE(wire.status().message().empty()) << mutated;
      }
    }
  }
  EXPECT_GT(accepted, 100);
  EXPECT_GT(refused, 100);
}

TEST(DecodeAlertsBodyTest, AlertsOfOneUrlShareItsBlock) {
  auto request = DecodeAlertsBody(
      R"([{"labels":{"a":"1"},"generatorURL":"http://u"},{"labels":{"a":"2"},"generatorURL":"http://u"}])");
  ASSERT_TRUE(request.ok()) << request.status();
  ASSERT_EQ(request->alerts.size(), 2u);
  EXPECT_EQ(request->alerts[0].generator_url.view().data(),
            request->alerts[1].generator_url.view().data());
}

TEST(GettableAlertsJsonTest, MatchesAlertmanagerShape) {
  wecom_notify::v1::ListAlertsResponse list;
  auto* a = list.add_alerts();
  (*a->mutable_labels())["alertname"] = "DiskFull";
  (*a->mutable_annotations())["summary"] = "磁盘满";
  alert::TimeToProto(absl::FromUnixMillis(1795582756576), a->mutable_starts_at());
  alert::TimeToProto(absl::FromUnixMillis(1795583056576), a->mutable_ends_at());
  alert::TimeToProto(absl::FromUnixMillis(1795582756576), a->mutable_updated_at());
  a->set_fingerprint("7397d9f5ae7b8ff2");
  auto json = nlohmann::json::parse(GettableAlertsJson(list, {"wecom"}));
  ASSERT_EQ(json.size(), 1u);
  const auto& item = json[0];
  EXPECT_EQ(item["labels"]["alertname"], "DiskFull");
  EXPECT_EQ(item["annotations"]["summary"], "磁盘满");
  EXPECT_EQ(item["startsAt"], "2026-11-25T04:59:16.576Z");
  EXPECT_EQ(item["fingerprint"], "7397d9f5ae7b8ff2");
  EXPECT_EQ(item["status"]["state"], "active");
  EXPECT_TRUE(item["status"]["silencedBy"].is_array());
  EXPECT_EQ(item["receivers"][0]["name"], "wecom");
  EXPECT_EQ(GettableAlertsJson(wecom_notify::v1::ListAlertsResponse(), {}), "[]");
}

TEST(ParseRfc3339Test, AcceptsOffsetsAndNanoseconds) {
  EXPECT_EQ(*ParseRfc3339("2026-11-25T04:59:16.576493259Z"), absl::FromUnixNanos(1795582756576493259));
  EXPECT_EQ(*ParseRfc3339("2026-11-25T12:59:16+08:00"), absl::FromUnixSeconds(1795582756));
  EXPECT_FALSE(ParseRfc3339("2026-11-25 04:59:16").ok());
}

}  // namespace
}  // namespace wecom_notify::alertmanager_json
