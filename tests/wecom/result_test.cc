#include "libs/wecom/result.h"

#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/mutate.h"

namespace wecom_notify::wecom {
namespace {

using ::testing::HasSubstr;

struct Case {
  const char* name;
  ClassifyInput input;
  ResultClass want;
  absl::StatusCode want_code;
};

ClassifyInput Transport(absl::Status s) {
  ClassifyInput in;
  in.transport_status = std::move(s);
  return in;
}
ClassifyInput Http(int status) {
  ClassifyInput in;
  in.http_status = status;
  return in;
}
ClassifyInput NotJson() {
  ClassifyInput in;
  in.body_is_json = false;
  return in;
}
ClassifyInput Err(int64_t errcode, absl::string_view errmsg = "x") {
  ClassifyInput in;
  in.errcode = errcode;
  in.errmsg = errmsg;
  return in;
}

using RC = ResultClass;
using SC = absl::StatusCode;

// One case per row of the table (ClassificationRules()); RowsAreAllCovered checks it stays so.
const Case kCases[] = {
    {"timeout", Transport(absl::DeadlineExceededError("t")), RC::kRetry, SC::kDeadlineExceeded},
    {"bad url", Transport(absl::InvalidArgumentError("u")), RC::kPermanent, SC::kInvalidArgument},
    {"untrusted cert", Transport(absl::FailedPreconditionError("cert")), RC::kPermanent,
     SC::kFailedPrecondition},
    {"connect", Transport(absl::UnavailableError("c")), RC::kRetry, SC::kUnavailable},
    {"http 502", Http(502), RC::kRetry, SC::kUnavailable},
    {"http 429", Http(429), RC::kRetry, SC::kUnavailable},
    {"http 408", Http(408), RC::kRetry, SC::kUnavailable},
    {"http 301", Http(301), RC::kPermanent, SC::kFailedPrecondition},
    {"http 404", Http(404), RC::kPermanent, SC::kFailedPrecondition},
    {"not json", NotJson(), RC::kRetry, SC::kUnavailable},
    {"json warning", Err(0, "ok. Warning: wrong json format. "), RC::kPermanent, SC::kInternal},
    {"ok", Err(0), RC::kOk, SC::kOk},
    {"busy", Err(-1), RC::kRetry, SC::kUnavailable},
    {"45009", Err(45009), RC::kRetry, SC::kResourceExhausted},
    {"45033", Err(45033), RC::kRetry, SC::kResourceExhausted},
    {"81026", Err(81026), RC::kRetry, SC::kUnavailable},
    {"40014", Err(40014), RC::kRefreshToken, SC::kUnauthenticated},
    {"42001", Err(42001), RC::kRefreshToken, SC::kUnauthenticated},
    {"41001", Err(41001), RC::kRefreshToken, SC::kInternal},
    {"40001", Err(40001), RC::kPermanent, SC::kUnauthenticated},
    {"40013", Err(40013), RC::kPermanent, SC::kFailedPrecondition},
    {"40091", Err(40091), RC::kPermanent, SC::kUnauthenticated},
    {"41002", Err(41002), RC::kPermanent, SC::kFailedPrecondition},
    {"41004", Err(41004), RC::kPermanent, SC::kFailedPrecondition},
    {"45031", Err(45031), RC::kPermanent, SC::kFailedPrecondition},
    {"40056", Err(40056), RC::kPermanent, SC::kFailedPrecondition},
    {"41011", Err(41011), RC::kPermanent, SC::kFailedPrecondition},
    {"301002", Err(301002), RC::kPermanent, SC::kFailedPrecondition},
    {"48002", Err(48002), RC::kPermanent, SC::kPermissionDenied},
    {"50003", Err(50003), RC::kPermanent, SC::kFailedPrecondition},
    {"60031", Err(60031), RC::kPermanent, SC::kFailedPrecondition},
    {"60011", Err(60011), RC::kPermanent, SC::kPermissionDenied},
    {"60020", Err(60020), RC::kPermanent, SC::kPermissionDenied},
    {"81013", Err(81013), RC::kPermanent, SC::kFailedPrecondition},
    {"82001", Err(82001), RC::kPermanent, SC::kInvalidArgument},
    {"40031", Err(40031), RC::kPermanent, SC::kInvalidArgument},
    {"40066", Err(40066), RC::kPermanent, SC::kInvalidArgument},
    {"40068", Err(40068), RC::kPermanent, SC::kInvalidArgument},
    {"40032", Err(40032), RC::kPermanent, SC::kInternal},
    {"82002", Err(82002), RC::kPermanent, SC::kInternal},
    {"93000", Err(93000), RC::kPermanent, SC::kFailedPrecondition},
    {"93004", Err(93004), RC::kPermanent, SC::kFailedPrecondition},
    {"93008", Err(93008), RC::kPermanent, SC::kFailedPrecondition},
    {"45002", Err(45002), RC::kPermanent, SC::kInvalidArgument},
    {"40058", Err(40058), RC::kPermanent, SC::kInvalidArgument},
    {"44004", Err(44004), RC::kPermanent, SC::kInvalidArgument},
    {"40008", Err(40008), RC::kPermanent, SC::kInternal},
    {"40033", Err(40033), RC::kPermanent, SC::kInternal},
    {"82004", Err(82004), RC::kPermanent, SC::kInvalidArgument},
    {"unknown", Err(12345), RC::kPermanent, SC::kFailedPrecondition},
};

TEST(ClassifyTest, EachCaseGetsItsClassAndCode) {
  for (const Case& c : kCases) {
    const Classification got = Classify(c.input);
    EXPECT_EQ(got.result_class, c.want) << c.name;
    EXPECT_EQ(got.status_code, c.want_code) << c.name;
    EXPECT_GE(got.rule, 0) << c.name;
  }
}

TEST(ClassifyTest, RowsAreAllCovered) {
  std::set<int> covered;
  for (const Case& c : kCases) covered.insert(Classify(c.input).rule);
  for (int i = 0; i < static_cast<int>(ClassificationRules().size()); ++i) {
    EXPECT_TRUE(covered.count(i)) << "no test case for classification row " << i;
  }
}

TEST(ClassifyTest, RetryRowsCarryTheirMinimumDelayAndCaps) {
  EXPECT_GE(Classify(Err(45009)).min_retry_delay, absl::Seconds(60));
  EXPECT_EQ(Classify(Err(-1)).max_attempts, 4);  // at most 3 retries
  EXPECT_GT(Classify(Err(45033)).min_retry_delay, absl::ZeroDuration());
}

TEST(ClassifyTest, TrustedIpActionNamesTheIpFromErrmsg) {
  const Classification c = Classify(
      Err(60020,
          "not allow to access from your ip, hint: [1680000000_1_2], from ip: 115.227.127.185, "
          "more info at https://open.work.weixin.qq.com/devtool/query?e=60020"));
  EXPECT_THAT(c.action, HasSubstr("add egress IP 115.227.127.185 to the app's trusted IPs"));
}

TEST(ClassifyTest, OkWithInvalidRecipientsIsPartial) {
  ClassifyInput in = Err(0);
  in.has_invalid_recipients = true;
  EXPECT_EQ(Classify(in).result_class, ResultClass::kPartial);
}

TEST(ClassifyTest, UnknownErrcodeIsNotRetriedAndNamed) {
  const Classification c = Classify(Err(99999));
  EXPECT_EQ(c.result_class, ResultClass::kPermanent);
  EXPECT_THAT(c.action, HasSubstr("99999"));
}

TEST(ExtractFromIpTest, StopsAtTheIp) {
  EXPECT_EQ(ExtractFromIp("x, from ip: 10.0.0.1, more"), "10.0.0.1");
  EXPECT_EQ(ExtractFromIp("x, from ip: 2001:db8::1, more"), "2001:db8::1");
  EXPECT_EQ(ExtractFromIp("no ip here"), "");
}

TEST(ParseOutcomeTest, ReadsPartialFailureLists) {
  const CallOutcome o =
      ParseOutcome(absl::OkStatus(), 200,
                   R"({"errcode":0,"errmsg":"ok","invaliduser":"bob|eve","invalidparty":"",)"
                   R"("invalidtag":"7","unlicenseduser":"carol","msgid":"abc"})");
  EXPECT_EQ(o.result_class(), ResultClass::kPartial);
  EXPECT_THAT(o.invalid.users, ::testing::ElementsAre("bob", "eve"));
  EXPECT_TRUE(o.invalid.parties.empty());
  EXPECT_THAT(o.invalid.tags, ::testing::ElementsAre("7"));
  EXPECT_THAT(o.invalid.unlicensed_users, ::testing::ElementsAre("carol"));
  EXPECT_EQ(o.msgid, "abc");
  EXPECT_TRUE(o.ToStatus().ok());
}

// Malformed neighbours of WeCom's answers (tests/testing/mutate.h), as a proxy's error page, a
// cut connection or a changed API give them: each is classified without an exception, counts
// as delivered only when it is a JSON object without a non-zero errcode, and a body that is
// not a JSON object is retried, as an HTML error page is.
TEST(ParseOutcomeTest, MutatedAnswersAreClassifiedNeverThrown) {
  std::mt19937 random = testing::MutationRandom();
  int delivered = 0, failed = 0;
  for (const char* answer :
       {R"({"errcode":0,"errmsg":"ok","invaliduser":"bob|eve","invalidtag":"7","msgid":"abc"})",
        R"({"errcode":45009,"errmsg":"api freq out of limit"})",
        R"({"errcode":60020,"errmsg":"not allow to access from your ip, from ip: 203.0.113.7"})",
        R"({"errcode":0,"errmsg":"ok","access_token":"tok","expires_in":7200})",
        R"({"errcode":42001,"errmsg":"access_token expired"})"}) {
    for (int i = 0; i < 2000 && !::testing::Test::HasFailure(); ++i) {
      const std::string mutated = testing::Mutate(answer, random);
      CallOutcome outcome;
      EXPECT_NO_THROW(outcome = ParseOutcome(absl::OkStatus(), 200, mutated)) << mutated;
      const bool ok = outcome.result_class() == ResultClass::kOk ||
                      outcome.result_class() == ResultClass::kPartial;
      EXPECT_EQ(outcome.ToStatus().ok(), ok) << mutated;
      const nlohmann::json json = nlohmann::json::parse(mutated, nullptr, false);
      if (!json.is_object()) {
        EXPECT_EQ(outcome.result_class(), ResultClass::kRetry) << mutated;
      } else if (json.contains("errcode") && json["errcode"].is_number_integer() &&
                 json["errcode"].get<int64_t>() != 0) {
        EXPECT_FALSE(ok) << mutated;
      }
      (ok ? delivered : failed)++;
    }
  }
  EXPECT_GT(delivered, 100);
  EXPECT_GT(failed, 100);
}

TEST(ParseOutcomeTest, MissingErrcodeMeansSuccess) {
  EXPECT_EQ(ParseOutcome(absl::OkStatus(), 200, R"({"errmsg":"ok"})").result_class(),
            ResultClass::kOk);
}

TEST(ParseOutcomeTest, HtmlBodyIsRetried) {
  EXPECT_EQ(ParseOutcome(absl::OkStatus(), 200, "<html>proxy error</html>").result_class(),
            ResultClass::kRetry);
}

TEST(ParseOutcomeTest, WrongJsonFormatWarningIsAFailureNotDelivery) {
  const CallOutcome o = ParseOutcome(
      absl::OkStatus(), 200, R"({"errcode":0,"errmsg":"ok. Warning: wrong json format. "})");
  EXPECT_TRUE(o.json_format_warning);
  EXPECT_EQ(o.result_class(), ResultClass::kPermanent);
  const absl::Status s = o.ToStatus();
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(s.message(), HasSubstr("wrong json format"));
  EXPECT_THAT(s.message(), HasSubstr("bug in wecom-notify"));
  // With a non-zero errcode the errcode's own row decides (40066: bad department list).
  EXPECT_EQ(ParseOutcome(absl::OkStatus(), 200,
                         R"({"errcode":40066,"errmsg":"Warning: wrong json format. invalid party"})")
                .ToStatus()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(
      ParseOutcome(absl::OkStatus(), 200, R"({"errcode":0,"errmsg":"ok"})").json_format_warning);
}

TEST(ParseOutcomeTest, StatusNamesErrcodeAndAction) {
  const absl::Status s =
      ParseOutcome(absl::OkStatus(), 200, R"({"errcode":40013,"errmsg":"invalid corpid"})")
          .ToStatus();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("40013"));
  EXPECT_THAT(s.message(), HasSubstr("wrong corp ID"));
}

TEST(ParseOutcomeTest, TransportErrorMessageIsRedacted) {
  const CallOutcome o = ParseOutcome(
      absl::UnavailableError("POST https://h/cgi-bin/message/send?access_token=SECRET1: reset"), 0,
      "");
  EXPECT_EQ(o.result_class(), ResultClass::kRetry);
  EXPECT_THAT(std::string(o.ToStatus().message()), ::testing::Not(HasSubstr("SECRET1")));
}

}  // namespace
}  // namespace wecom_notify::wecom
