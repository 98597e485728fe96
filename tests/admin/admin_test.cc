// The admin API's building blocks in-process: ConfigStore (validation, atomic persistence that a
// reload reads back, secrets kept as file references, versions), the proto conversion (secrets
// masked, kept on update), the notifyctl recipient edit, loopback detection, and the token check
// over a real in-process gRPC server.

#include <gmock/gmock.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>

#include "libs/admin/admin_service.h"
#include "libs/admin/config_store.h"
#include "libs/admin/convert.h"
#include "libs/admin/ctl.h"
#include "libs/config/config.h"
#include "libs/wecom/curl_http_transport.h"
#include "tests/testing/testing.h"

namespace wecom_notify::admin {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using wecom_notify::testing::MakeTempDir;
using wecom_notify::testing::ReadFile;
using wecom_notify::testing::WriteFile;

constexpr char kConfig[] = R"(# a comment
global:
  wecom_api_url: http://127.0.0.1:1/cgi-bin/
route:
  receiver: ops
  group_by: [alertname]
  routes:
    - matchers: ['team="db"']
      receiver: db
receivers:
  - name: ops
    wecom_configs:
      - corp_id: ww-corp
        agent_id: 1000002
        api_secret_file: secret.txt
        to_user: [zhangsan]
  - name: db
    wechat_configs:
      - corp_id: ww-corp
        agent_id: 1000003
        api_secret: inline-secret-xy
        to_party: "2|3"
    wecom_robot_configs:
      - webhook_key_file: robot.key
)";

class ConfigStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("admin");
    path_ = dir_ + "/notifyd.yml";
    WriteFile(dir_ + "/secret.txt", "file-secret-ab\n");
    WriteFile(dir_ + "/robot.key", "robot-key-cd\n");
    WriteFile(path_, kConfig);
    auto config = config::LoadConfigFile(path_);
    ASSERT_TRUE(config.ok()) << config.status();
    store_ = std::make_unique<ConfigStore>(*config, path_, [this](const config::Config& c) {
      ++applied_;
      last_applied_ = c;
      return apply_result_;
    });
  }

  config::ReceiverConfig Receiver(const std::string& name) {
    for (const auto& r : store_->Get().config.receivers) {
      if (r.name == name) return r;
    }
    ADD_FAILURE() << "no receiver " << name;
    return {};
  }

  std::string dir_, path_;
  std::unique_ptr<ConfigStore> store_;
  int applied_ = 0;
  config::Config last_applied_;
  absl::Status apply_result_;
};

TEST_F(ConfigStoreTest, UpdateIsPersistedAppliedAndReadBackWithSecretFilesKept) {
  const std::string before = store_->Get().version;
  config::ReceiverConfig ops = Receiver("ops");
  ops.wecom_configs[0].to_user = {"zhangsan", "lisi"};
  ops.wecom_configs[0].to_tag = {"7"};
  ops.wecom_configs[0].enabled = false;
  auto snap = store_->UpdateReceiver(ops, before);
  ASSERT_TRUE(snap.ok()) << snap.status();
  EXPECT_NE(snap->version, before);
  EXPECT_EQ(applied_, 1);
  ASSERT_EQ(last_applied_.receivers.size(), 2u);
  EXPECT_THAT(last_applied_.receivers[0].wecom_configs[0].to_user, ElementsAre("zhangsan", "lisi"));

  // What a restart reads.
  const std::string text = ReadFile(path_);
  EXPECT_THAT(text, HasSubstr("api_secret_file: secret.txt"));
  EXPECT_THAT(text, Not(HasSubstr("file-secret-ab")));
  EXPECT_THAT(text, HasSubstr("webhook_key_file: robot.key"));
  EXPECT_THAT(text, Not(HasSubstr("robot-key-cd")));
  auto reread = config::LoadConfigFile(path_);
  ASSERT_TRUE(reread.ok()) << reread.status() << "\n" << text;
  const auto& c = reread->receivers[0].wecom_configs[0];
  EXPECT_THAT(c.to_user, ElementsAre("zhangsan", "lisi"));
  EXPECT_THAT(c.to_tag, ElementsAre("7"));
  EXPECT_FALSE(c.enabled);
  EXPECT_EQ(c.api_secret, "file-secret-ab");
  EXPECT_EQ(c.api_secret_file, "secret.txt");
  EXPECT_EQ(reread->receivers[1].wecom_configs[0].api_secret, "inline-secret-xy");
  EXPECT_THAT(reread->receivers[1].wecom_configs[0].to_party, ElementsAre("2", "3"));
  EXPECT_EQ(reread->receivers[1].robot_configs[0].webhook_key, "robot-key-cd");
  ASSERT_TRUE(reread->route.has_value());
  EXPECT_EQ(reread->route->routes.size(), 1u);
  // No temporary file left behind.
  EXPECT_EQ(system(("test -z \"$(ls " + dir_ + " | grep tmp)\"").c_str()), 0);
}

// A receiver that takes its corp ID and secret from Alertmanager's global keys keeps taking
// them when the admin API rewrites it: the global secret is not copied inline.
TEST(ConfigStoreGlobalsTest, RewrittenReceiverKeepsUsingTheGlobalCorpAndSecret) {
  const std::string dir = MakeTempDir("admin");
  const std::string path = dir + "/notifyd.yml";
  WriteFile(dir + "/wechat-secret", "global-secret-77\n");
  WriteFile(path, R"(global:
  wechat_api_corp_id: ww-global
  wechat_api_secret_file: wechat-secret
route:
  receiver: ops
receivers:
  - name: ops
    wechat_configs:
      - agent_id: 1000002
        to_user: zhangsan
)");
  auto config = config::LoadConfigFile(path);
  ASSERT_TRUE(config.ok()) << config.status();
  ConfigStore store(*config, path, [](const config::Config&) { return absl::OkStatus(); });
  config::ReceiverConfig ops = store.Get().config.receivers[0];
  ops.wecom_configs[0].to_user = {"zhangsan", "lisi"};
  auto snap = store.UpdateReceiver(ops, "");
  ASSERT_TRUE(snap.ok()) << snap.status();

  const std::string text = ReadFile(path);
  EXPECT_THAT(text, Not(HasSubstr("global-secret-77")));
  EXPECT_EQ(text.find("ww-global"), text.rfind("ww-global")) << text;  // the global key only
  auto reread = config::LoadConfigFile(path);
  ASSERT_TRUE(reread.ok()) << reread.status() << "\n" << text;
  const auto& c = reread->receivers[0].wecom_configs[0];
  EXPECT_EQ(c.corp_id, "ww-global");
  EXPECT_EQ(c.api_secret, "global-secret-77");
  EXPECT_THAT(c.to_user, ElementsAre("zhangsan", "lisi"));

  // The admin API shows where they come from, never the secret.
  const v1::Config shown = ToProto(*reread);
  EXPECT_EQ(shown.global().wechat_api_corp_id(), "ww-global");
  EXPECT_EQ(shown.global().wechat_api_secret(), kSecretMask);
  EXPECT_EQ(shown.global().wechat_api_secret_file(), "wechat-secret");
  // A destination added through the API without a secret takes the global one, as on load.
  v1::Receiver added;
  added.set_name("new");
  auto* e = added.add_wecom_configs();
  e->set_agent_id(1000009);
  e->add_to_user("wangwu");
  auto parsed = FromProto(added, nullptr, reread->global, dir);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->wecom_configs[0].corp_id, "ww-global");
  EXPECT_EQ(parsed->wecom_configs[0].api_secret, "global-secret-77");
}

// A destination's proxy_from_environment differing from the global one survives an update
// through the admin API (written back into its http_config), and an update that does not name
// it keeps it.
TEST(ConfigStoreGlobalsTest, ProxyFromEnvironmentSurvivesARewrite) {
  const std::string dir = MakeTempDir("admin");
  const std::string path = dir + "/notifyd.yml";
  WriteFile(path, R"(route:
  receiver: ops
receivers:
  - name: ops
    wechat_configs:
      - {corp_id: ww, api_secret: s, agent_id: 1000002, to_user: zhangsan,
         http_config: {proxy_from_environment: false}}
      - {corp_id: ww, api_secret: s, agent_id: 1000003, to_user: zhangsan}
)");
  auto config = config::LoadConfigFile(path);
  ASSERT_TRUE(config.ok()) << config.status();
  ConfigStore store(*config, path, [](const config::Config&) { return absl::OkStatus(); });

  v1::Receiver edited = ToProto(store.Get().config.receivers[0]);
  EXPECT_FALSE(edited.wecom_configs(0).proxy_from_environment());
  edited.mutable_wecom_configs(0)->clear_proxy_from_environment();  // an older client
  edited.mutable_wecom_configs(1)->add_to_user("lisi");
  auto parsed = FromProto(edited, &store.Get().config.receivers[0], store.Get().config.global);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  auto snap = store.UpdateReceiver(*parsed, "");
  ASSERT_TRUE(snap.ok()) << snap.status();

  auto reread = config::LoadConfigFile(path);
  ASSERT_TRUE(reread.ok()) << reread.status() << "\n" << ReadFile(path);
  EXPECT_FALSE(reread->receivers[0].wecom_configs[0].proxy_from_environment) << ReadFile(path);
  EXPECT_TRUE(reread->receivers[0].wecom_configs[1].proxy_from_environment);
  EXPECT_THAT(reread->receivers[0].wecom_configs[1].to_user, ElementsAre("zhangsan", "lisi"));
}

TEST_F(ConfigStoreTest, InvalidUpdateChangesNothing) {
  const std::string text = ReadFile(path_);
  config::ReceiverConfig ops = Receiver("ops");
  ops.wecom_configs[0].to_user.clear();  // no recipient at all: the parser refuses
  auto snap = store_->UpdateReceiver(ops, "");
  ASSERT_FALSE(snap.ok());
  EXPECT_EQ(snap.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(snap.status().message(), HasSubstr("needs at least one of to_user"));
  EXPECT_EQ(ReadFile(path_), text);
  EXPECT_EQ(applied_, 0);
}

TEST_F(ConfigStoreTest, ApplyFailureRestoresTheFile) {
  const std::string text = ReadFile(path_);
  apply_result_ = absl::InvalidArgumentError("global.time_zone: nope");
  config::ReceiverConfig ops = Receiver("ops");
  ops.wecom_configs[0].to_user = {"lisi"};
  auto snap = store_->UpdateReceiver(ops, "");
  ASSERT_FALSE(snap.ok());
  EXPECT_EQ(ReadFile(path_), text);
  EXPECT_THAT(Receiver("ops").wecom_configs[0].to_user, ElementsAre("zhangsan"));
}

TEST_F(ConfigStoreTest, StaleVersionUnknownReceiverAndNoFileAreRefused) {
  config::ReceiverConfig ops = Receiver("ops");
  EXPECT_EQ(store_->UpdateReceiver(ops, "0000000000000000").status().code(),
            absl::StatusCode::kAborted);
  ops.name = "nobody";
  EXPECT_EQ(store_->UpdateReceiver(ops, "").status().code(), absl::StatusCode::kNotFound);
  ConfigStore memory(config::Config(), "", [](const config::Config&) { return absl::OkStatus(); });
  EXPECT_EQ(memory.UpdateReceiver(ops, "").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(memory.ApplyYaml("route: {receiver: x}", "").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(applied_, 0);
}

TEST_F(ConfigStoreTest, ApplyYamlValidatesWithLineNumbers) {
  auto bad = store_->ApplyYaml("route:\n  receiver: ops\n  bogus: 1\n", "");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr(":3: route.bogus: unknown key"));
  auto good = store_->ApplyYaml(
      "route:\n  receiver: ops\nreceivers:\n  - name: ops\n    wecom_configs:\n"
      "      - {corp_id: c, agent_id: 5, api_secret_file: secret.txt, to_tag: ['9']}\n",
      "");
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ(good->config.receivers[0].wecom_configs[0].api_secret, "file-secret-ab");
  EXPECT_EQ(applied_, 1);
}

// An app destination (corp "ww", agent 7, user "a") with `secret` inline.
config::WeComAppConfig AppDestination(const std::string& secret) {
  config::WeComAppConfig app;
  app.corp_id = "ww";
  app.agent_id = 7;
  app.api_secret = secret;
  app.to_user = {"a"};
  return app;
}

TEST(ConvertTest, SecretsAreMaskedAndKeptOnUpdate) {
  config::ReceiverConfig r;
  r.name = "ops";
  r.wecom_configs.push_back(AppDestination("very-secret"));
  v1::Receiver p = ToProto(r);
  EXPECT_EQ(p.wecom_configs(0).api_secret(), kSecretMask);
  EXPECT_THAT(p.DebugString(), Not(HasSubstr("very-secret")));

  config::GlobalConfig global;
  auto back = FromProto(p, &r, global);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->wecom_configs[0].api_secret, "very-secret");
  p.mutable_wecom_configs(0)->set_api_secret("new-secret");
  back = FromProto(p, &r, global);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->wecom_configs[0].api_secret, "new-secret");
  // A new entry without a secret cannot borrow one.
  *p.add_wecom_configs() = p.wecom_configs(0);
  p.mutable_wecom_configs(1)->set_api_secret("");
  EXPECT_EQ(FromProto(p, &r, global).status().code(), absl::StatusCode::kInvalidArgument);
  p.mutable_wecom_configs(1)->set_api_secret("x");
  p.mutable_wecom_configs(1)->set_message_type("html");
  EXPECT_THAT(FromProto(p, &r, global).status().message(), HasSubstr("message_type"));
}

TEST(ConvertTest, ProxyPasswordsAreMaskedAndKeptOnUpdate) {
  EXPECT_EQ(MaskUrlPassword("http://egress:pr0xy-pass@10.0.0.1:3128"),
            "http://egress:<secret>@10.0.0.1:3128");
  EXPECT_EQ(MaskUrlPassword("egress:pr0xy-pass@10.0.0.1:3128"), "egress:<secret>@10.0.0.1:3128");
  EXPECT_EQ(MaskUrlPassword("http://p:a:ss@proxy/path@x"), "http://p:<secret>@proxy/path@x");
  for (const char* kept :
       {"", "http://10.0.0.1:3128", "http://egress@proxy:3128", "http://proxy:3128/a:b@c"}) {
    EXPECT_EQ(MaskUrlPassword(kept), kept);
  }

  config::Config c;
  c.global.http_proxy = "http://global:g-pass@proxy-a:3128";
  config::ReceiverConfig r;
  r.name = "ops";
  r.wecom_configs.push_back(AppDestination("s"));
  r.wecom_configs[0].proxy_url = "http://own:own-pass@proxy-b:3128";
  config::WeComRobotConfig robot;
  robot.webhook_key = "k";
  robot.proxy_url = c.global.http_proxy;  // the global default, as the parser fills it in
  r.robot_configs.push_back(robot);
  c.receivers.push_back(r);

  const v1::Config read = ToProto(c);
  for (const char* password : {"g-pass", "own-pass"}) {
    EXPECT_THAT(read.DebugString(), Not(HasSubstr(password)));
  }
  EXPECT_EQ(read.global().http_proxy(), "http://global:<secret>@proxy-a:3128");

  // Sent back as read: each keeps its password.
  auto back = FromProto(read.receivers(0), &r, c.global);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->wecom_configs[0].proxy_url, "http://own:own-pass@proxy-b:3128");
  EXPECT_EQ(back->robot_configs[0].proxy_url, "http://global:g-pass@proxy-a:3128");
  // A masked URL naming another user or address has no password to keep.
  v1::Receiver moved = read.receivers(0);
  moved.mutable_wecom_configs(0)->set_proxy_url("http://own:<secret>@proxy-c:3128");
  auto refused = FromProto(moved, &r, c.global);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("wecom_configs[0].proxy_url"));
  // A new password is taken as given.
  moved.mutable_wecom_configs(0)->set_proxy_url("http://own:new-pass@proxy-c:3128");
  back = FromProto(moved, &r, c.global);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->wecom_configs[0].proxy_url, "http://own:new-pass@proxy-c:3128");
}

TEST(ConvertTest, ANewSecretFileIsReadSoTheResultCanSend) {
  const std::string dir = MakeTempDir("convert");
  WriteFile(dir + "/app.secret", "from-file-secret\n");
  WriteFile(dir + "/robot.key", "from-file-key\n");
  WriteFile(dir + "/empty.secret", "\n");
  config::ReceiverConfig current;
  current.name = "ops";
  current.wecom_configs.push_back(AppDestination("inline-secret"));
  config::WeComRobotConfig robot;
  robot.webhook_key = "inline-key";
  current.robot_configs.push_back(robot);

  v1::Receiver p = ToProto(current);
  p.mutable_wecom_configs(0)->set_api_secret("");
  p.mutable_wecom_configs(0)->set_api_secret_file("app.secret");  // relative: the config's dir
  p.mutable_wecom_robot_configs(0)->set_webhook_key(kSecretMask);
  p.mutable_wecom_robot_configs(0)->set_webhook_key_file(dir + "/robot.key");
  auto back = FromProto(p, &current, config::GlobalConfig(), dir);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->wecom_configs[0].api_secret, "from-file-secret");
  EXPECT_EQ(back->wecom_configs[0].api_secret_file, "app.secret");
  EXPECT_EQ(back->robot_configs[0].webhook_key, "from-file-key");
  EXPECT_EQ(back->robot_configs[0].webhook_key_file, dir + "/robot.key");

  p.mutable_wecom_configs(0)->set_api_secret_file("missing.secret");
  auto missing = FromProto(p, &current, config::GlobalConfig(), dir);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("wecom_configs[0].api_secret_file"));
  p.mutable_wecom_configs(0)->set_api_secret_file("empty.secret");
  auto empty = FromProto(p, &current, config::GlobalConfig(), dir);
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(empty.status().message(), HasSubstr("is empty"));
}

TEST(CtlTest, EditRecipients) {
  v1::Receiver r;
  r.set_name("ops");
  r.add_wecom_configs()->add_to_user("zhangsan");
  ASSERT_TRUE(EditRecipients(r, "user", {"lisi", "zhangsan"}, true, 0).ok());
  EXPECT_THAT(r.wecom_configs(0).to_user(), ElementsAre("zhangsan", "lisi"));
  ASSERT_TRUE(EditRecipients(r, "department", {"2"}, true, 0).ok());
  ASSERT_TRUE(EditRecipients(r, "tag", {"5"}, true, 0).ok());
  EXPECT_THAT(r.wecom_configs(0).to_party(), ElementsAre("2"));
  EXPECT_THAT(r.wecom_configs(0).to_tag(), ElementsAre("5"));
  ASSERT_TRUE(EditRecipients(r, "user", {"zhangsan"}, false, 0).ok());
  EXPECT_THAT(r.wecom_configs(0).to_user(), ElementsAre("lisi"));
  EXPECT_EQ(EditRecipients(r, "user", {"nobody"}, false, 0).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(EditRecipients(r, "group", {"x"}, true, 0).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EditRecipients(r, "user", {"x"}, true, 1).code(), absl::StatusCode::kInvalidArgument);
}

TEST(AuthTest, LoopbackDetection) {
  EXPECT_TRUE(IsLoopbackAddress("127.0.0.1:9097"));
  EXPECT_TRUE(IsLoopbackAddress("localhost:9097"));
  EXPECT_TRUE(IsLoopbackAddress("[::1]:9097"));
  EXPECT_FALSE(IsLoopbackAddress("0.0.0.0:9097"));
  EXPECT_FALSE(IsLoopbackAddress(":9097"));
  EXPECT_FALSE(IsLoopbackAddress("[::]:9097"));
  EXPECT_FALSE(IsLoopbackAddress("10.1.2.3:9097"));
}

class AuthServer {
 public:
  explicit AuthServer(AdminOptions options, Clock& clock = Clock::Real())
      : store_(config::Config(), "", [](const config::Config&) { return absl::OkStatus(); }),
        delivery_(Clock::Real(),
                  *wecom::CurlHttpTransport::Create(wecom::CurlHttpTransport::Options()), nullptr),
        service_(store_, delivery_, clock, std::move(options)) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    stub_ = v1::Admin::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_),
                                                   grpc::InsecureChannelCredentials()));
  }
  ~AuthServer() { server_->Shutdown(); }

  grpc::StatusCode Call(const std::string& authorization) {
    grpc::ClientContext ctx;
    if (!authorization.empty()) ctx.AddMetadata("authorization", authorization);
    v1::GetStatusResponse r;
    return stub_->GetStatus(&ctx, {}, &r).error_code();
  }
  AdminService& service() { return service_; }

 private:
  ConfigStore store_;
  delivery::Delivery delivery_;
  AdminService service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::Admin::Stub> stub_;
};

TEST(AuthTest, TokenIsRequiredWhenSetOrNotLoopback) {
  {
    AuthServer open(AdminOptions{});
    EXPECT_EQ(open.Call(""), grpc::StatusCode::OK);
  }
  {
    AdminOptions o;
    o.token = "s3cret";
    AuthServer with_token(o);
    EXPECT_EQ(with_token.Call(""), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(with_token.Call("Bearer wrong!"), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(with_token.Call("Bearer s3cret"), grpc::StatusCode::OK);
  }
  {
    AdminOptions o;
    o.require_token = true;  // non-loopback address, no token configured: refused
    AuthServer refused(o);
    EXPECT_EQ(refused.Call(""), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(refused.Call("Bearer "), grpc::StatusCode::UNAUTHENTICATED);
  }
}

// The shim relays POST /-/reload with the token file it follows on its own schedule, and
// notifyctl reads its file at each call: the token a rotation replaced keeps working for the
// grace, then not.
TEST(AuthTest, ReplacedTokenIsAcceptedDuringTheRotationGrace) {
  SimulatedClock clock;
  AdminOptions o;
  o.token = "old-token";
  o.token_rotation_grace = absl::Minutes(5);
  AuthServer server(o, clock);
  server.service().SetToken("new-token");
  EXPECT_EQ(server.Call("Bearer new-token"), grpc::StatusCode::OK);
  EXPECT_EQ(server.Call("Bearer old-token"), grpc::StatusCode::OK);
  clock.Advance(absl::Minutes(5) - absl::Milliseconds(1));
  EXPECT_EQ(server.Call("Bearer old-token"), grpc::StatusCode::OK);
  clock.Advance(absl::Milliseconds(1));
  EXPECT_EQ(server.Call("Bearer old-token"), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(server.Call("Bearer new-token"), grpc::StatusCode::OK);

  AdminOptions at_once;
  at_once.token = "old-token";
  at_once.token_rotation_grace = absl::ZeroDuration();
  AuthServer no_grace(at_once, clock);
  no_grace.service().SetToken("new-token");
  EXPECT_EQ(no_grace.Call("Bearer old-token"), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(no_grace.Call("Bearer new-token"), grpc::StatusCode::OK);
}

}  // namespace
}  // namespace wecom_notify::admin
