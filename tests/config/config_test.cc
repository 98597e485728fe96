#include "libs/config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>

#include "tests/testing/mutate.h"
#include "tests/testing/testing.h"

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

namespace wecom_notify::config {
namespace {

constexpr char kFull[] = R"(
global:
  time_zone: Asia/Shanghai
route:
  receiver: ops
  group_by: [alertname, cluster]
  group_wait: 10s
  routes:
    - matchers: ['severity="critical"']
      receiver: oncall
      continue: true
    - match_re: {team: "db|storage"}
      receiver: ops
receivers:
  - name: ops
    wecom_configs:
      - corp_id: ww0123
        agent_id: 1000002
        api_secret: s3cret
        to_user: [zhangsan, lisi]
        to_party: ["2"]
        message_type: text
    wecom_robot_configs:
      - webhook_key: robot-key
        mentioned_list: ["@all"]
  - name: oncall
    # pasted from an alertmanager.yml
    wechat_configs:
      - api_secret: other
        corp_id: ww0123
        agent_id: '1000003'
        to_user: 'wangwu|zhaoliu'
        to_tag: '1'
        message_type: markdown
        api_url: http://127.0.0.1:9180/cgi-bin/
)";

TEST(ConfigFileTest, ReadsRouteAndReceivers) {
  auto config = ParseConfig(kFull, "n.yml");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_TRUE(config->route.has_value());
  EXPECT_EQ(*config->route->receiver, "ops");
  EXPECT_EQ(config->route->routes.size(), 2u);
  EXPECT_TRUE(config->route->routes[0].continue_matching);
  ASSERT_EQ(config->receivers.size(), 2u);
  const auto& ops = config->receivers[0].wecom_configs[0];
  EXPECT_EQ(ops.agent_id, 1000002);
  EXPECT_EQ(ops.to_user, (std::vector<std::string>{"zhangsan", "lisi"}));
  EXPECT_EQ(ops.message_type, MessageType::kText);
  EXPECT_EQ(ops.api_url, "https://qyapi.weixin.qq.com/cgi-bin/");  // from global
  EXPECT_EQ(config->receivers[0].robot_configs[0].mentioned_list, std::vector<std::string>{"@all"});
}

// Malformed neighbours of a full configuration (tests/testing/mutate.h), as an operator's typo
// or a cut-off ConfigMap gives them: each loads or is refused with a reason naming the file —
// never an exception out of the parser (the admin API and the file watcher feed it any text).
TEST(ConfigFileTest, MutatedConfigsLoadOrAreRefusedWithAReason) {
  std::mt19937 random = testing::MutationRandom();
  int refused = 0;
  constexpr int kMutations = 5000;
  for (int i = 0; i < kMutations && !::testing::Test::HasFailure(); ++i) {
    const std::string mutated = testing::Mutate(kFull, random);
    absl::StatusOr<Config> config = absl::InternalError("not parsed");
    EXPECT_NO_THROW(config = ParseConfig(mutated, "n.yml")) << mutated;
    if (config.ok()) continue;
    ++refused;
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument) << mutated;
    EXPECT_THAT(std::string(config.status().message()), ::testing::StartsWith("n.yml")) << mutated;
  }
  EXPECT_GT(refused, kMutations / 10);
  EXPECT_LT(refused, kMutations);
}

TEST(ConfigFileTest, AcceptsAlertmanagerWechatConfigsPastedAsIs) {
  auto config = ParseConfig(kFull, "n.yml");
  ASSERT_TRUE(config.ok()) << config.status();
  const auto& oncall = config->receivers[1].wecom_configs[0];
  EXPECT_EQ(oncall.agent_id, 1000003);
  EXPECT_EQ(oncall.to_user, (std::vector<std::string>{"wangwu", "zhaoliu"}));
  EXPECT_EQ(oncall.to_tag, std::vector<std::string>{"1"});
  EXPECT_EQ(oncall.api_url, "http://127.0.0.1:9180/cgi-bin/");
}

// A wechat_configs receiver as Alertmanager's documentation writes it: corp ID, secret and API
// URL from the global section (which may come after the receivers), the proxy in http_config,
// a message template (notifyd renders its own).
TEST(ConfigFileTest, AlertmanagerGlobalWechatDefaultsApply) {
  const std::string dir = testing::MakeTempDir("config");
  testing::WriteFile(dir + "/wechat-secret", "global-secret-9\n");
  testing::WriteFile(dir + "/notifyd.yml", R"(
route:
  receiver: wechat
receivers:
  - name: wechat
    wechat_configs:
      - agent_id: '1000002'
        to_user: '@all'
        message: '{{ template "wechat.default.message" . }}'
      - corp_id: ww-own
        api_secret: own-secret
        agent_id: '1000003'
        to_party: '2'
        http_config:
          proxy_url: http://receiver-proxy:3128
          follow_redirects: true
global:
  wechat_api_url: http://127.0.0.1:9180/cgi-bin/
  wechat_api_corp_id: ww-global
  wechat_api_secret_file: wechat-secret
  http_config:
    proxy_url: http://global-proxy:3128
)");
  auto config = LoadConfigFile(dir + "/notifyd.yml");
  ASSERT_TRUE(config.ok()) << config.status();
  const auto& defaulted = config->receivers[0].wecom_configs[0];
  EXPECT_EQ(defaulted.corp_id, "ww-global");
  EXPECT_EQ(defaulted.api_secret, "global-secret-9");
  EXPECT_EQ(defaulted.api_secret_file, "");  // the file is the global section's
  EXPECT_EQ(defaulted.api_url, "http://127.0.0.1:9180/cgi-bin/");
  EXPECT_EQ(defaulted.proxy_url, "http://global-proxy:3128");
  const auto& own = config->receivers[0].wecom_configs[1];
  EXPECT_EQ(own.corp_id, "ww-own");
  EXPECT_EQ(own.api_secret, "own-secret");
  EXPECT_EQ(own.proxy_url, "http://receiver-proxy:3128");
  EXPECT_EQ(config->global.wecom_api_url, "http://127.0.0.1:9180/cgi-bin/");
  EXPECT_EQ(config->global.wechat_api_secret_file, "wechat-secret");
}

// http_config.proxy_from_environment: true unless said (Alertmanager's default is false, but
// a process given https_proxy is usually meant to use it); a destination takes the global one
// unless its own http_config says, and group robots the global one.
TEST(ConfigFileTest, ProxyFromEnvironmentIsInheritedAndOverridden) {
  auto defaults = ParseConfig(kFull, "n.yml");
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_TRUE(defaults->global.proxy_from_environment);
  EXPECT_TRUE(defaults->receivers[0].wecom_configs[0].proxy_from_environment);
  EXPECT_TRUE(defaults->receivers[0].robot_configs[0].proxy_from_environment);

  auto config = ParseConfig(R"(
receivers:
  - name: r
    wechat_configs:
      - {corp_id: c, api_secret: s, agent_id: 1, to_user: a}
      - {corp_id: c, api_secret: s, agent_id: 2, to_user: a,
         http_config: {proxy_from_environment: true}}
    wecom_robot_configs:
      - {webhook_key: k}
global:
  http_config: {proxy_from_environment: false}
)",
                            "n.yml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->global.proxy_from_environment);
  EXPECT_FALSE(config->receivers[0].wecom_configs[0].proxy_from_environment);
  EXPECT_TRUE(config->receivers[0].wecom_configs[1].proxy_from_environment);
  EXPECT_FALSE(config->receivers[0].robot_configs[0].proxy_from_environment);

  auto bad = ParseConfig("global: {http_config: {proxy_from_environment: maybe}}\n", "n.yml");
  EXPECT_THAT(
      std::string(bad.status().message()),
      ::testing::HasSubstr("global.http_config.proxy_from_environment: expected true or false"));
}

// What would be ignored silently is refused instead, naming the key and what to do.
TEST(ConfigFileTest, AlertmanagerSettingsWithoutAMeaningHereAreRefusedWithTheReason) {
  struct Case {
    const char* yaml;
    const char* error;
  };
  for (const Case& c : std::vector<Case>{
           {"global: {wechat_api_secret: s}\nreceivers: [{name: r, wechat_configs: [{agent_id: "
            "1, to_user: a}]}]\n",
            "corp_id: is required (or global.wechat_api_corp_id)"},
           {"global: {wechat_api_corp_id: c}\nreceivers: [{name: r, wechat_configs: [{agent_id: "
            "1, to_user: a}]}]\n",
            "api_secret: is required (or api_secret_file, global.wechat_api_secret(_file))"},
           {"global: {wecom_api_url: 'http://a/', wechat_api_url: 'http://b/'}\n",
            "global.wechat_api_url: conflicts with wecom_api_url; set one"},
           {"global: {http_proxy: 'http://a', http_config: {proxy_url: 'http://b'}}\n",
            "global.http_config.proxy_url: conflicts with http_proxy; set one"},
           {"receivers: [{name: r, wechat_configs: [{corp_id: c, api_secret: s, agent_id: 1, "
            "to_user: a, proxy_url: 'http://a', http_config: {proxy_url: 'http://b'}}]}]\n",
            "receivers[0].wechat_configs[0].http_config.proxy_url: conflicts with proxy_url"},
           {"global: {http_config: {proxy_url: 'http://a', proxy_from_environment: true}}\n",
            "global.http_config.proxy_from_environment: conflicts with proxy_url; set one"},
           {"receivers: [{name: r, wechat_configs: [{corp_id: c, api_secret: s, agent_id: 1, "
            "to_user: a, http_config: {proxy_from_environment: true, proxy_url: 'http://b'}}]}]\n",
            "receivers[0].wechat_configs[0].http_config.proxy_from_environment: conflicts with "
            "proxy_url"},
           {"global: {wechat_api_secret: s, wechat_api_secret_file: f}\n",
            "global.wechat_api_secret_file: conflicts with wechat_api_secret; set one"},
           {"global: {http_config: {tls_config: {ca_file: ca.pem}}}\n",
            "global.http_config.tls_config: not supported; trust a CA with notifyd's "
            "--wecom.ca-file"},
           {"global: {http_config: {basic_auth: {username: u}}}\n",
            "global.http_config.basic_auth: not supported: WeCom's API authenticates with the "
            "app secret or the robot key"},
           {"receivers: [{name: r, wechat_configs: [{corp_id: c, api_secret: s, agent_id: 1, "
            "to_user: a, http_config: {proxy_connect_header: {X: [y]}}}]}]\n",
            "receivers[0].wechat_configs[0].http_config.proxy_connect_header: not supported; "
            "give the proxy's credentials in proxy_url"},
           {"global: {http_config: {no_proxy: qyapi.weixin.qq.com}}\n",
            "global.http_config.no_proxy: not supported: notifyd sends only to the WeCom API URL"},
           {"global: {http_config: {surprise: 1}}\n", "global.http_config.surprise: unknown key"},
           {"inhibit_rules: []\n", "inhibit_rules: not supported by notifyd: silences, inhibition"},
           {"templates: ['/etc/alertmanager/*.tmpl']\n", "templates: not supported by notifyd"},
       }) {
    auto config = ParseConfig(c.yaml, "n.yml");
    ASSERT_FALSE(config.ok()) << c.yaml;
    EXPECT_THAT(std::string(config.status().message()), ::testing::HasSubstr(c.error)) << c.yaml;
  }
}

// WeCom's paths are appended to api_url: one written without its trailing slash, as
// Alertmanager accepts it, must not turn ".../cgi-bin" + "gettoken" into ".../cgi-bingettoken".
TEST(ConfigFileTest, ApiUrlsGetTheirTrailingSlash) {
  auto config = ParseConfig(R"(
global:
  wechat_api_url: http://127.0.0.1:9180/cgi-bin
receivers:
  - name: r
    wechat_configs:
      - {corp_id: c, api_secret: s, agent_id: 1, to_user: a}
      - {corp_id: c, api_secret: s, agent_id: 1, to_user: a, api_url: 'http://own/cgi-bin'}
    wecom_robot_configs:
      - {webhook_key: k, api_url: 'http://robot/cgi-bin/'}
)",
                            "n.yml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->global.wecom_api_url, "http://127.0.0.1:9180/cgi-bin/");
  EXPECT_EQ(config->receivers[0].wecom_configs[0].api_url, "http://127.0.0.1:9180/cgi-bin/");
  EXPECT_EQ(config->receivers[0].wecom_configs[1].api_url, "http://own/cgi-bin/");
  EXPECT_EQ(config->receivers[0].robot_configs[0].api_url, "http://robot/cgi-bin/");
}

TEST(ConfigFileTest, UndefinedReceiverIsAnError) {
  auto config = ParseConfig("route:\n  receiver: ghost\nreceivers:\n  - name: ops\n", "n.yml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("receiver \"ghost\" is not defined"), std::string::npos);
}

TEST(ConfigFileTest, AgentIdMustBeNumeric) {
  auto config = ParseConfig(R"(
receivers:
  - name: ops
    wecom_configs:
      - corp_id: ww
        agent_id: my-app
        api_secret: x
        to_user: [a]
)", "n.yml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("n.yml:6: receivers[0].wecom_configs[0].agent_id"),
            std::string::npos)
      << config.status();
}

TEST(ConfigFileTest, AccountLimitIsAWholeNumberAndDefaultsToZero) {
  const std::string app = R"(
receivers:
  - name: ops
    wecom_configs:
      - corp_id: ww
        agent_id: 1000002
        api_secret: x
        to_user: [a]
)";
  auto config = ParseConfig(app, "n.yml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->receivers[0].wecom_configs[0].account_limit, 0);
  config = ParseConfig(app + "        account_limit: 500\n", "n.yml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->receivers[0].wecom_configs[0].account_limit, 500);
  config = ParseConfig(app + "        account_limit: -1\n", "n.yml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find(
                "n.yml:9: receivers[0].wecom_configs[0].account_limit: expected a whole number"),
            std::string::npos)
      << config.status();
}

TEST(ConfigFileTest, BadMatcherAndUnknownKeyNameTheLine) {
  auto bad_regex = ParseConfig("route:\n  receiver: r\n  routes:\n    - matchers: ['a=~\"(\"']\n"
                               "receivers:\n  - name: r\n", "n.yml");
  ASSERT_FALSE(bad_regex.ok());
  EXPECT_NE(bad_regex.status().message().find("n.yml:4:"), std::string::npos) << bad_regex.status();

  auto typo = ParseConfig("route:\n  receiver: r\n  group_wiat: 1s\nreceivers:\n  - name: r\n", "n.yml");
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.status().message(), "n.yml:3: route.group_wiat: unknown key");
}

TEST(ConfigFileTest, SecretFilesAreReadRelativeToTheConfig) {
  auto config = ParseConfig(R"(
receivers:
  - name: ops
    wecom_configs:
      - corp_id: ww
        agent_id: 1
        api_secret_file: /nonexistent/secret
        to_user: [a]
)", "n.yml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("cannot read"), std::string::npos);
}

TEST(ConfigFileTest, InvalidRouteTreeIsRejectedAtLoad) {
  auto config = ParseConfig("route:\n  receiver: r\n  group_by: ['...', alertname]\n"
                            "receivers:\n  - name: r\n", "n.yml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("'...'"), std::string::npos);
}

// A rotated secret file changes what the watcher compares, though the configuration's text
// does not: that is how notifyd notices it.
TEST(ConfigFileTest, WatchedContentFollowsTheSecretFiles) {
  const std::string dir = testing::MakeTempDir("config-watched");
  const std::string path = dir + "/notifyd.yml";
  const std::string text = R"(route:
  receiver: ops
receivers:
  - name: ops
    wecom_configs:
      - corp_id: ww
        agent_id: 1
        api_secret_file: secret.txt
        to_user: [a]
    wecom_robot_configs:
      - webhook_key_file: robot-key.txt
)";
  testing::WriteFile(path, text);
  testing::WriteFile(dir + "/secret.txt", "secret-one\n");
  testing::WriteFile(dir + "/robot-key.txt", "key-one\n");

  const absl::StatusOr<std::string> first = WatchedContent(path);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->substr(0, text.size()), text);
  std::string loaded_text;
  const absl::StatusOr<Config> loaded = LoadConfigFile(path, &loaded_text);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(WatchedContent(loaded_text, *loaded), *first);

  testing::WriteFile(dir + "/secret.txt", "secret-two\n");
  const absl::StatusOr<std::string> app_rotated = WatchedContent(path);
  ASSERT_TRUE(app_rotated.ok()) << app_rotated.status();
  EXPECT_NE(*app_rotated, *first);
  testing::WriteFile(dir + "/robot-key.txt", "key-two\n");
  const absl::StatusOr<std::string> robot_rotated = WatchedContent(path);
  ASSERT_TRUE(robot_rotated.ok()) << robot_rotated.status();
  EXPECT_NE(*robot_rotated, *app_rotated);

  // Alertmanager's global secret file, which destinations without their own secret use.
  const std::string with_global = "global:\n  wechat_api_secret_file: global.txt\n" + text;
  testing::WriteFile(path, with_global);
  testing::WriteFile(dir + "/global.txt", "global-one\n");
  const absl::StatusOr<std::string> global_first = WatchedContent(path);
  ASSERT_TRUE(global_first.ok()) << global_first.status();
  testing::WriteFile(dir + "/global.txt", "global-two\n");
  EXPECT_NE(WatchedContent(path).value_or("error"), *global_first);
  testing::WriteFile(path, text);

  // A secret file gone, or text that does not parse: the text alone, still a change.
  ASSERT_EQ(std::remove((dir + "/robot-key.txt").c_str()), 0);
  EXPECT_EQ(WatchedContent(path).value_or("error"), text);
  testing::WriteFile(path, "route: [");
  EXPECT_EQ(WatchedContent(path).value_or("error"), "route: [");
  EXPECT_EQ(WatchedContent(dir + "/missing.yml").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace wecom_notify::config
