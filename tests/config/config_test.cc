#include "libs/config/config.h"

#include <gtest/gtest.h>

namespace wecom_notify::config {
namespace {

TEST(ConfigTest, EmptyFileMeansDefaults) {
  auto config = ParseConfig("", "empty.yml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->global.resolve_timeout, absl::Minutes(5));
}

TEST(ConfigTest, ReadsResolveTimeouts) {
  auto config = ParseConfig("global:\n  resolve_timeout: 10s\n  webhook_resolve_timeout: 12h\n",
                            "notifyd.yml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->global.resolve_timeout, absl::Seconds(10));
  EXPECT_EQ(config->global.webhook_resolve_timeout, absl::Hours(12));
}

TEST(ConfigTest, UnknownKeyNamesFileLineAndKey) {
  auto config = ParseConfig("global:\n  resolve_timeout: 5m\n  resolve_timout: 5m\n", "n.yml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(), "n.yml:3: global.resolve_timout: unknown key");
}

TEST(ConfigTest, BadDurationNamesTheKey) {
  auto config = ParseConfig("global:\n  resolve_timeout: soon\n", "n.yml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("n.yml:2: global.resolve_timeout"),
            absl::string_view::npos)
      << config.status();
}

TEST(ConfigTest, BrokenYamlIsAnErrorNotACrash) {
  EXPECT_FALSE(ParseConfig("global: [\n", "n.yml").ok());
  EXPECT_FALSE(ParseConfig("- a\n- b\n", "n.yml").ok());
}

TEST(ConfigTest, MissingFileIsNotFound) {
  EXPECT_EQ(LoadConfigFile("/nonexistent/notifyd.yml").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace wecom_notify::config
