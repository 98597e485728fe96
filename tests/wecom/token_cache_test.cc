#include "libs/wecom/token_cache.h"

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/wecom/fake_wecom.h"

namespace wecom_notify::wecom {
namespace {

using testing::FakeWeCom;

AppCredentials Creds(const std::string& secret = "s3cr3t") {
  AppCredentials c;
  c.api_url = "https://wecom.test/cgi-bin/";
  c.corp_id = "ww0001";
  c.secret = secret;
  return c;
}

class TokenCacheTest : public ::testing::Test {
 protected:
  SimulatedClock clock_;
  FakeWeCom fake_{clock_};
};

TEST_F(TokenCacheTest, ReusesTokenUntilExpiryMinusMargin) {
  TokenCache cache(fake_, clock_);  // margin 5 min; expires_in 7200 s
  ASSERT_EQ(*cache.Get(Creds()), "tok-1");
  clock_.Advance(absl::Seconds(7200 - 300) - absl::Milliseconds(1));
  EXPECT_EQ(*cache.Get(Creds()), "tok-1");
  EXPECT_EQ(fake_.gettoken_calls(), 1);
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_EQ(*cache.Get(Creds()), "tok-2");
  EXPECT_EQ(fake_.gettoken_calls(), 2);
}

TEST_F(TokenCacheTest, ShortLifetimeCapsTheMarginAtHalf) {
  fake_.set_expires_in(60);
  TokenCache cache(fake_, clock_);
  ASSERT_EQ(*cache.Get(Creds()), "tok-1");
  clock_.Advance(absl::Seconds(29));
  EXPECT_EQ(*cache.Get(Creds()), "tok-1");
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(*cache.Get(Creds()), "tok-2");
}

TEST_F(TokenCacheTest, OneTokenPerSecret) {
  TokenCache cache(fake_, clock_);
  EXPECT_EQ(*cache.Get(Creds("a")), "tok-1");
  EXPECT_EQ(*cache.Get(Creds("b")), "tok-2");
  EXPECT_EQ(*cache.Get(Creds("a")), "tok-1");
}

TEST_F(TokenCacheTest, ThirtyTwoConcurrentCallersCauseOneGettoken) {
  fake_.set_gettoken_delay(absl::Milliseconds(100));
  TokenCache cache(fake_, clock_);
  std::vector<std::thread> threads;
  std::vector<std::string> got(32);
  for (int i = 0; i < 32; ++i) {
    threads.emplace_back([&, i] { got[i] = cache.Get(Creds()).value_or("error"); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(fake_.gettoken_calls(), 1);
  for (const auto& token : got) EXPECT_EQ(token, "tok-1");
}

TEST_F(TokenCacheTest, InvalidateDropsOnlyTheStaleToken) {
  TokenCache cache(fake_, clock_);
  ASSERT_EQ(*cache.Get(Creds()), "tok-1");
  cache.Invalidate(Creds(), "tok-1");
  ASSERT_EQ(*cache.Get(Creds()), "tok-2");
  cache.Invalidate(Creds(), "tok-1");  // a late report about the old token
  EXPECT_EQ(*cache.Get(Creds()), "tok-2");
  EXPECT_EQ(fake_.gettoken_calls(), 2);
}

TEST_F(TokenCacheTest, WrongSecretIsRememberedSoWeDoNotGetTheIpBanned) {
  fake_.ScriptGetToken(FakeWeCom::Errcode(40001, "invalid credential, hint: [x]"));
  TokenCache cache(fake_, clock_);
  CallOutcome failure;
  absl::StatusOr<std::string> token = cache.Get(Creds(), &failure);
  EXPECT_EQ(token.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(failure.errcode, 40001);
  EXPECT_EQ(failure.result_class(), ResultClass::kPermanent);
  EXPECT_THAT(std::string(token.status().message()), ::testing::HasSubstr("wrong app secret"));
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(cache.Get(Creds()).ok());
  EXPECT_EQ(fake_.gettoken_calls(), 1);
  clock_.Advance(absl::Minutes(5));
  EXPECT_EQ(*cache.Get(Creds()), "tok-1");
  EXPECT_EQ(fake_.gettoken_calls(), 2);
}

TEST_F(TokenCacheTest, TransientFailureIsNotRemembered) {
  fake_.ScriptGetToken(FakeWeCom::Errcode(-1, "system busy"));
  TokenCache cache(fake_, clock_);
  CallOutcome failure;
  EXPECT_FALSE(cache.Get(Creds(), &failure).ok());
  EXPECT_EQ(failure.result_class(), ResultClass::kRetry);
  EXPECT_EQ(*cache.Get(Creds()), "tok-1");
}

TEST_F(TokenCacheTest, SecretIsUrlEncodedInGettoken) {
  TokenCache cache(fake_, clock_);
  ASSERT_TRUE(cache.Get(Creds("a+b/c")).ok());
  EXPECT_THAT(fake_.requests().at(0).request.url,
              ::testing::EndsWith("gettoken?corpid=ww0001&corpsecret=a%2Bb%2Fc"));
}

TEST_F(TokenCacheTest, GettokenCallsAreCountedByErrcode) {
  prometheus::Registry registry;
  WeComMetrics metrics(registry);
  TokenCache::Options options;
  options.metrics = &metrics;
  TokenCache cache(fake_, clock_, options);
  fake_.ScriptGetToken(FakeWeCom::Errcode(40013, "invalid corpid"));
  EXPECT_FALSE(cache.Get(Creds("a")).ok());
  EXPECT_TRUE(cache.Get(Creds("b")).ok());
  const std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  EXPECT_THAT(
      text,
      ::testing::HasSubstr(
          R"(wecom_notify_wecom_requests_total{endpoint="gettoken",errcode="40013",result="permanent"} 1)"));
  EXPECT_THAT(
      text,
      ::testing::HasSubstr(
          R"(wecom_notify_wecom_requests_total{endpoint="gettoken",errcode="0",result="ok"} 1)"));
  EXPECT_THAT(text, ::testing::Not(::testing::HasSubstr("s3cr3t")));
}

}  // namespace
}  // namespace wecom_notify::wecom

namespace wecom_notify::wecom {
namespace {

std::string Exposition(const prometheus::Registry& registry, const TokenAgeCollector* ages) {
  auto families = registry.Collect();
  if (ages != nullptr) {
    for (auto& f : ages->Collect()) families.push_back(std::move(f));
  }
  return prometheus::TextSerializer().Serialize(families);
}

TEST(TokenMetricsTest, RefreshesByResultAndAgePerAgentWithoutSecrets) {
  SimulatedClock clock;
  FakeWeCom fake(clock);
  prometheus::Registry registry;
  WeComMetrics metrics(registry);
  TokenCache::Options options;
  options.metrics = &metrics;
  TokenCache cache(fake, clock, options);
  TokenAgeCollector ages(cache);
  using ::testing::HasSubstr;
  using ::testing::Not;

  // Known series from the start; no age before a token is cached.
  std::string text = Exposition(registry, &ages);
  EXPECT_THAT(text, HasSubstr("wecom_notify_wecom_token_refreshes_total{result=\"ok\"} 0"));
  EXPECT_THAT(text, HasSubstr("wecom_notify_wecom_token_refreshes_total{result=\"retry\"} 0"));
  EXPECT_THAT(text,
              HasSubstr("wecom_notify_wecom_token_refreshes_total{result=\"permanent\"} 0"));
  EXPECT_THAT(text, Not(HasSubstr("wecom_notify_wecom_token_age_seconds{")));
  EXPECT_THAT(text, HasSubstr("wecom_notify_wecom_send_queue_depth{endpoint=\"webhook_send\"} 0"));
  EXPECT_THAT(text, HasSubstr("wecom_notify_wecom_send_queue_depth{endpoint=\"message_send\"} 0"));

  AppCredentials a = Creds("secret-A");
  a.agent_id = 1000002;
  AppCredentials b = Creds("secret-B");
  b.agent_id = 1000003;
  ASSERT_TRUE(cache.Get(a).ok());
  clock.Advance(absl::Seconds(90));
  fake.ScriptGetToken(FakeWeCom::Errcode(-1, "system busy"));
  ASSERT_FALSE(cache.Get(b).ok());
  fake.ScriptGetToken(FakeWeCom::Errcode(40001, "invalid credential"));
  ASSERT_FALSE(cache.Get(b).ok());
  ASSERT_TRUE(cache.Get(a).ok());  // cached: no refresh
  clock.Advance(absl::Minutes(10));  // past b's permanent-failure cooldown
  ASSERT_TRUE(cache.Get(b).ok());
  clock.Advance(absl::Seconds(30));

  text = Exposition(registry, &ages);
  EXPECT_THAT(text, HasSubstr("wecom_notify_wecom_token_refreshes_total{result=\"ok\"} 2"));
  EXPECT_THAT(text, HasSubstr("wecom_notify_wecom_token_refreshes_total{result=\"retry\"} 1"));
  EXPECT_THAT(text,
              HasSubstr("wecom_notify_wecom_token_refreshes_total{result=\"permanent\"} 1"));
  EXPECT_THAT(text, HasSubstr("# TYPE wecom_notify_wecom_token_age_seconds gauge"));
  EXPECT_THAT(text, HasSubstr("wecom_notify_wecom_token_age_seconds{agent_id=\"1000002\"} 720"));
  EXPECT_THAT(text, HasSubstr("wecom_notify_wecom_token_age_seconds{agent_id=\"1000003\"} 30"));
  EXPECT_THAT(text, Not(HasSubstr("secret-")));
  EXPECT_THAT(text, Not(HasSubstr("tok-")));

  // A dropped token has no age.
  cache.Invalidate(a, "tok-1");
  EXPECT_THAT(Exposition(registry, &ages), Not(HasSubstr("agent_id=\"1000002\"} ")));
}

}  // namespace
}  // namespace wecom_notify::wecom
