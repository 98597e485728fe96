#include "libs/wecom/robot_sender.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/wecom/limits.h"
#include "libs/wecom/message_splitter.h"
#include "tests/wecom/fake_wecom.h"
#include "tests/wecom/log_capture.h"

namespace wecom_notify::wecom {
namespace {

using testing::FakeWeCom;
using ::testing::HasSubstr;
using testing::LogCapture;
using ::testing::Not;
using Json = nlohmann::json;

constexpr char kKey[] = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa";

class RobotSenderTest : public ::testing::Test {
 protected:
  RobotSender Make(RobotConfig config, RateLimiter* limiter = nullptr) {
    if (config.key.empty()) config.key = kKey;
    config.webhook_url = "https://wecom.test/cgi-bin/webhook/send";
    RobotSender::Deps deps;
    deps.transport = &fake_;
    deps.clock = &clock_;
    deps.limiter = limiter;
    deps.in_flight = &in_flight_;
    return RobotSender(std::move(config), deps);
  }
  Json LastBody() {
    auto r = fake_.Requests("/webhook/send?");
    return Json::parse(r.back().request.body);
  }

  SimulatedClock clock_;
  FakeWeCom fake_{clock_};
  InFlightLimiter in_flight_{2};
};

TEST_F(RobotSenderTest, TextCarriesMentionLists) {
  RobotConfig config;
  config.mentioned_users = {"zhangsan", "@all"};
  config.mentioned_mobiles = {"13800001111"};
  RobotSender sender = Make(config);
  ASSERT_TRUE(sender.Send(MessageFormat::kText, "磁盘将满", nullptr).ok());
  const auto requests = fake_.Requests("/webhook/send?");
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_THAT(requests[0].request.url, ::testing::EndsWith(absl::StrCat("send?key=", kKey)));
  const Json j = LastBody();
  EXPECT_EQ(j["msgtype"], "text");
  EXPECT_EQ(j["text"]["content"], "磁盘将满");
  EXPECT_EQ(j["text"]["mentioned_list"], Json::array({"zhangsan", "@all"}));
  EXPECT_EQ(j["text"]["mentioned_mobile_list"], Json::array({"13800001111"}));
  EXPECT_THAT(requests[0].request.body, Not(HasSubstr("\\u")));
}

TEST_F(RobotSenderTest, MarkdownMentionsUseUserIdSyntaxAndShrinkTheLimit) {
  RobotConfig config;
  config.mentioned_users = {"zhangsan", "@all"};
  RobotSender sender = Make(config);
  ASSERT_TRUE(sender.Send(MessageFormat::kMarkdown, "**告警**", nullptr).ok());
  const Json j = LastBody();
  EXPECT_EQ(j["msgtype"], "markdown");
  EXPECT_EQ(j["markdown"]["content"], "**告警**\n<@zhangsan>");
  EXPECT_FALSE(j["markdown"].contains("mentioned_list"));
  EXPECT_EQ(sender.MaxContentBytes(MessageFormat::kMarkdown),
            kRobotMarkdownMaxBytes - std::string("\n<@zhangsan>").size());
  EXPECT_EQ(sender.MaxContentBytes(MessageFormat::kText), kRobotTextMaxBytes);
}

TEST_F(RobotSenderTest, SplitMessageMentionsOnlyInItsFirstPart) {
  RobotConfig config;
  config.mentioned_users = {"zhangsan", "@all"};
  config.mentioned_mobiles = {"13800001111"};
  RobotSender sender = Make(config);
  // Three alerts that fit one per part.
  SplitOptions split;
  split.max_bytes = sender.MaxContentBytes(MessageFormat::kMarkdown);
  const std::vector<std::string> alerts(3, std::string(split.max_bytes / 2, 'a'));
  const std::vector<std::string> parts = SplitMessage("# 告警", alerts, "", split);
  ASSERT_EQ(parts.size(), 3u);
  SendReport report;
  ASSERT_TRUE(SendParts(sender, MessageFormat::kMarkdown, parts, &report).ok());
  EXPECT_EQ(report.requests.size(), 3u);
  ASSERT_TRUE(SendParts(sender, MessageFormat::kText, {"t1", "t2"}, nullptr).ok());

  const auto sends = fake_.Requests("/webhook/send?");
  ASSERT_EQ(sends.size(), 5u);
  std::vector<Json> bodies;
  for (const auto& r : sends) bodies.push_back(Json::parse(r.request.body));
  const auto mentions = [](const Json& j) {
    const std::string content = j["markdown"]["content"];
    size_t n = 0;
    for (size_t pos = content.find("<@"); pos != std::string::npos;
         pos = content.find("<@", pos + 1)) {
      ++n;
    }
    return n;
  };
  EXPECT_EQ(mentions(bodies[0]), 1u);
  EXPECT_THAT(std::string(bodies[0]["markdown"]["content"]), ::testing::EndsWith("<@zhangsan>"));
  EXPECT_EQ(mentions(bodies[1]), 0u);
  EXPECT_EQ(mentions(bodies[2]), 0u);
  EXPECT_EQ(bodies[3]["text"]["mentioned_list"], Json::array({"zhangsan", "@all"}));
  EXPECT_EQ(bodies[3]["text"]["mentioned_mobile_list"], Json::array({"13800001111"}));
  EXPECT_FALSE(bodies[4]["text"].contains("mentioned_list"));
  EXPECT_FALSE(bodies[4]["text"].contains("mentioned_mobile_list"));
}

TEST_F(RobotSenderTest, AcceptsAWholeWebhookUrlAsKey) {
  RobotConfig config;
  config.key = absl::StrCat("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=", kKey);
  RobotSender sender = Make(config);
  ASSERT_TRUE(sender.Send(MessageFormat::kText, "x", nullptr).ok());
  EXPECT_THAT(fake_.requests().back().request.url,
              ::testing::EndsWith(absl::StrCat("/webhook/send?key=", kKey)));
}

TEST_F(RobotSenderTest, TwentyPerMinuteQueuesInsteadOfHittingTheLimit) {
  RateLimiter limiter(RobotLimits());
  RobotSender sender = Make({}, &limiter);
  const absl::Time t0 = clock_.Now();
  for (int i = 0; i < 45; ++i) {
    ASSERT_TRUE(sender.Send(MessageFormat::kText, absl::StrCat("m", i), nullptr).ok());
  }
  const auto sends = fake_.Requests("/webhook/send?");
  ASSERT_EQ(sends.size(), 45u);
  for (size_t i = 20; i < sends.size(); ++i) {
    EXPECT_GE(sends[i].at - sends[i - 20].at, absl::Minutes(1)) << i;
  }
  EXPECT_EQ(sends[19].at, t0);
  EXPECT_EQ(sends[20].at, t0 + absl::Minutes(1));
  EXPECT_EQ(sends[44].at, t0 + absl::Minutes(2));
}

TEST_F(RobotSenderTest, BadKeyIsPermanentAndTheKeyStaysSecret) {
  LogCapture logs;
  fake_.ScriptRobot(FakeWeCom::Errcode(93000, "invalid webhook url, hint: [1]"));
  RobotSender sender = Make({});
  SendReport report;
  const absl::Status s = sender.Send(MessageFormat::kText, "x", &report);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("invalid robot key"));
  EXPECT_EQ(fake_.requests().size(), 1u);
  const std::string log = logs.text();
  EXPECT_THAT(log, HasSubstr(sender.robot_id()));
  EXPECT_THAT(log, Not(HasSubstr(kKey)));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr(kKey)));
}

TEST_F(RobotSenderTest, TransportErrorQuotingTheUrlIsRedacted) {
  LogCapture logs;
  fake_.ScriptRobot(absl::UnavailableError(
      absl::StrCat("POST https://wecom.test/cgi-bin/webhook/send?key=", kKey, ": reset")));
  RobotSender sender = Make({});
  ASSERT_TRUE(sender.Send(MessageFormat::kText, "x", nullptr).ok());  // retried, then delivered
  EXPECT_THAT(logs.text(), HasSubstr("key=REDACTED"));
  EXPECT_THAT(logs.text(), Not(HasSubstr(kKey)));
}

TEST_F(RobotSenderTest, OversizedMarkdownIsRejectedBeforeSending) {
  RobotSender sender = Make({});
  EXPECT_EQ(sender.Send(MessageFormat::kMarkdown, std::string(4097, 'a'), nullptr).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(sender.Send(MessageFormat::kMarkdown, std::string(4096, 'a'), nullptr).ok());
  EXPECT_EQ(fake_.requests().size(), 1u);
}

}  // namespace
}  // namespace wecom_notify::wecom
