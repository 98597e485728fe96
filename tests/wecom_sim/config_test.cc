#include "libs/wecom_sim/config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace wecom_notify::wecom_sim {
namespace {

using ::testing::HasSubstr;

TEST(ConfigTest, EmptyTextGivesTheBuiltInDemoCorp) {
  auto config = ParseConfig("");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->corp_id, "ww-sim-corp");
  ASSERT_EQ(config->apps.size(), 2u);
  EXPECT_EQ(config->apps[0].agent_id, 1000002);
  EXPECT_EQ(config->apps[0].secret, "sim-secret-1000002");
  EXPECT_EQ(config->token_lifetime, absl::Seconds(7200));
  EXPECT_TRUE(config->rate_limits);
}

TEST(ConfigTest, YamlOverridesSwitchesAndReplacesDirectoryLists) {
  auto config = ParseConfig(R"(
corp_id: wwcorp
apps:
  - {agent_id: 42, secret: s3cret, visible_departments: [7]}
users:
  - {userid: Alice, departments: [7]}
departments:
  - {id: 7, name: ops}
token_lifetime: 30s
rate_limits: off
member_excess: error
app_markdown_over_limit: truncate
robot_text_max_bytes: 5120
duplicate_check_default: 60
)");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->corp_id, "wwcorp");
  ASSERT_EQ(config->apps.size(), 1u);
  EXPECT_EQ(config->apps[0].agent_id, 42);
  EXPECT_EQ(config->apps[0].visible_departments, std::vector<int64_t>{7});
  ASSERT_EQ(config->users.size(), 1u);
  EXPECT_EQ(config->users[0].userid, "Alice");
  EXPECT_EQ(config->token_lifetime, absl::Seconds(30));
  EXPECT_FALSE(config->rate_limits);
  EXPECT_EQ(config->member_excess, MemberExcess::kError);
  EXPECT_EQ(config->app_markdown_over_limit, OverLimit::kTruncate);
  EXPECT_EQ(config->robot_text_max_bytes, 5120u);
  EXPECT_EQ(config->duplicate_check_default, absl::Seconds(60));
  EXPECT_EQ(config->robots.size(), 2u);  // untouched lists keep the defaults
}

TEST(ConfigTest, JsonIsAccepted) {
  auto config = ParseConfig(R"({"corp_id": "wwjson", "token_lifetime": "2h"})");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->corp_id, "wwjson");
  EXPECT_EQ(config->token_lifetime, absl::Hours(2));
}

TEST(ConfigTest, UnknownKeysAreRejectedByName) {
  auto top = ParseConfig("rate_limit: false\n");
  ASSERT_FALSE(top.ok());
  EXPECT_THAT(top.status().message(), HasSubstr("rate_limit"));
  auto nested = ParseConfig("users:\n  - {userid: a, department: [1]}\n");
  ASSERT_FALSE(nested.ok());
  EXPECT_THAT(nested.status().message(), HasSubstr("users[0].department"));
}

TEST(ConfigTest, MalformedValuesAreRejected) {
  EXPECT_FALSE(ParseConfig("token_lifetime: soon\n").ok());
  EXPECT_FALSE(ParseConfig("member_excess: maybe\n").ok());
  EXPECT_FALSE(ParseConfig("member_per_minute: [1]\n").ok());
  EXPECT_FALSE(ParseConfig("corp_id: ''\n").ok());
  EXPECT_FALSE(ParseConfig("apps: [{agent_id: 1, secret: a}, {agent_id: 1, secret: b}]\n").ok());
  EXPECT_FALSE(ParseConfig("{not yaml").ok());
}

}  // namespace
}  // namespace wecom_notify::wecom_sim

namespace wecom_notify::wecom_sim {
namespace {

TEST(ConfigTest, ExampleConfigFileParsesToTheDefaults) {
  const char* source_dir = std::getenv("WECOM_NOTIFY_SOURCE_DIR");
  if (source_dir == nullptr) source_dir = WECOM_SIM_TEST_SOURCE_DIR;
  std::ifstream in(std::string(source_dir) + "/services/wecom-sim/example-config.yaml");
  ASSERT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  auto config = ParseConfig(text.str());
  ASSERT_TRUE(config.ok()) << config.status();
  const Config defaults = DefaultConfig();
  EXPECT_EQ(config->users.size(), defaults.users.size());
  EXPECT_EQ(config->apps[1].visible_departments, std::vector<int64_t>{3});
  EXPECT_EQ(config->token_lifetime, defaults.token_lifetime);
  EXPECT_EQ(config->robot_per_minute, defaults.robot_per_minute);
}

}  // namespace
}  // namespace wecom_notify::wecom_sim
