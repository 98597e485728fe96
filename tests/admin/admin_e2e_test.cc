// The admin API against real processes: notifyd with a configuration file, the WeCom simulator,
// and the notifyctl binary. Test messages report WeCom's real answers (success, wrong secret
// 40001, IP not allowed 60020, invalid and unlicensed users); a route test goes through the real
// routing and delivery and says when the labels match no enabled receiver; an update survives a
// restart; the token is enforced; notifyctl's exit codes and output.

#include <gmock/gmock.h>
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "tests/e2e/stack.h"
#include "wecom_notify/v1/admin.grpc.pb.h"
#include "wecom_notify/v1/notify.grpc.pb.h"

namespace wecom_notify::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
namespace v1 = wecom_notify::v1;

constexpr char kConfig[] = R"(global:
  wecom_api_url: API_URL
  language: en
  wechat_api_corp_id: ww-global-corp
route:
  receiver: ops
  group_by: [alertname]
  group_wait: 1h
  routes:
    - matchers: ['team="db"']
      receiver: db
receivers:
  - name: ops
    wecom_configs:
      - corp_id: ww-sim-corp
        agent_id: 1000002
        api_secret_file: secret.txt
        to_user: [zhangsan]
        message_type: text
  - name: db
    wecom_configs:
      - corp_id: ww-sim-corp
        agent_id: 1000002
        api_secret: sim-secret-1000002
        to_user: [lisi]
        enabled: false
)";

struct CtlRun {
  int code = -1;
  std::string output;
};

class AdminE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stack_ = std::make_unique<Stack>(MakeTempDir("admin-e2e"));
    ASSERT_TRUE(stack_->StartWeComSim()) << stack_->sim()->Output();
    config_path_ = stack_->dir() + "/notifyd.yml";
    WriteFile(stack_->dir() + "/secret.txt", "sim-secret-1000002\n");
    WriteFile(config_path_, absl::StrReplaceAll(kConfig, {{"API_URL", stack_->SimApiUrl()}}));
  }

  bool StartNotifyd(std::vector<std::string> extra = {}) {
    extra.push_back("--config.file=" + config_path_);
    return stack_->StartNotifyd(extra);
  }

  std::unique_ptr<v1::Admin::Stub> Admin() {
    return v1::Admin::NewStub(
        grpc::CreateChannel(stack_->grpc_address(), grpc::InsecureChannelCredentials()));
  }

  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token = "") {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
    return ctx;
  }

  // Contents of the messages the simulator delivered to `user`.
  std::vector<std::string> Delivered(const std::string& user) {
    auto r = HttpRequest("GET", stack_->SimUrl("/sim/messages?touser=" + user));
    std::vector<std::string> out;
    auto json = nlohmann::json::parse(r.body, nullptr, false);
    if (json.is_discarded()) return out;
    for (const auto& m : json["messages"]) {
      out.push_back(m["content"].value("content", m["content"].dump()));
    }
    return out;
  }

  v1::SendTestMessageResponse SendTest(const v1::SendTestMessageRequest& request) {
    v1::SendTestMessageResponse response;
    auto ctx = Ctx();
    grpc::Status s = Admin()->SendTestMessage(ctx.get(), request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response;
  }

  v1::Receiver GetReceiver(const std::string& name) {
    v1::GetReceiverRequest request;
    request.set_name(name);
    v1::Receiver r;
    auto ctx = Ctx();
    grpc::Status s = Admin()->GetReceiver(ctx.get(), request, &r);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return r;
  }

  CtlRun Ctl(const std::vector<std::string>& args) {
    std::string cmd = BinPath("notifyctl") + " --address " + stack_->grpc_address();
    for (const auto& a : args) absl::StrAppend(&cmd, " '", a, "'");
    cmd += " 2>&1";
    CtlRun run;
    FILE* pipe = popen(cmd.c_str(), "r");
    if (pipe == nullptr) return run;
    char buf[4096];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) run.output.append(buf, n);
    const int status = pclose(pipe);
    run.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return run;
  }

  std::unique_ptr<Stack> stack_;
  std::string config_path_;
};

TEST_F(AdminE2eTest, TestMessageSucceeds) {
  ASSERT_TRUE(StartNotifyd()) << stack_->notifyd()->Output();
  v1::SendTestMessageRequest request;
  request.set_receiver("ops");
  request.set_text("probe-success");
  auto r = SendTest(request);
  EXPECT_TRUE(r.ok());
  ASSERT_EQ(r.results_size(), 1);
  EXPECT_TRUE(r.results(0).ok());
  EXPECT_EQ(r.results(0).code(), "OK");
  ASSERT_GE(r.results(0).calls_size(), 1);
  EXPECT_EQ(r.results(0).calls(0).errcode(), 0);
  EXPECT_THAT(Delivered("zhangsan"), Contains("probe-success"));
}

TEST_F(AdminE2eTest, WrongSecretReports40001) {
  ASSERT_TRUE(StartNotifyd()) << stack_->notifyd()->Output();
  v1::SendTestMessageRequest request;
  request.set_receiver("ops");
  *request.mutable_settings() = GetReceiver("ops");
  request.mutable_settings()->mutable_wecom_configs(0)->set_api_secret("wrong-secret");
  request.mutable_settings()->mutable_wecom_configs(0)->set_api_secret_file("");
  request.set_text("probe-wrong-secret");
  auto r = SendTest(request);
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.results_size(), 1);
  EXPECT_FALSE(r.results(0).ok());
  EXPECT_EQ(r.results(0).code(), "UNAUTHENTICATED");
  ASSERT_GE(r.results(0).calls_size(), 1);
  EXPECT_EQ(r.results(0).calls(0).errcode(), 40001);
  EXPECT_FALSE(r.results(0).calls(0).errmsg().empty());
  EXPECT_FALSE(r.results(0).calls(0).hint().empty());
  EXPECT_THAT(r.results(0).error(), HasSubstr("40001"));
  EXPECT_THAT(r.DebugString(), Not(HasSubstr("wrong-secret")));
  EXPECT_THAT(Delivered("zhangsan"), Not(Contains("probe-wrong-secret")));
}

TEST_F(AdminE2eTest, TrialSettingsMayTakeTheSecretFromANewFile) {
  ASSERT_TRUE(StartNotifyd()) << stack_->notifyd()->Output();
  WriteFile(stack_->dir() + "/db-secret.txt", "sim-secret-1000002\n");
  WriteFile(stack_->dir() + "/wrong-secret.txt", "not-the-secret\n");
  // db's running secret is inline; the trial names a file instead (relative to the config).
  v1::SendTestMessageRequest request;
  request.set_receiver("db");
  *request.mutable_settings() = GetReceiver("db");
  auto* entry = request.mutable_settings()->mutable_wecom_configs(0);
  entry->set_api_secret("");
  entry->set_api_secret_file("db-secret.txt");
  request.set_text("probe-secret-file");
  auto r = SendTest(request);
  EXPECT_TRUE(r.ok()) << r.DebugString();
  EXPECT_THAT(Delivered("lisi"), Contains("probe-secret-file"));

  // The file really is what is used: a wrong secret in it is WeCom's 40001.
  request.mutable_settings()->mutable_wecom_configs(0)->set_api_secret_file(
      stack_->dir() + "/wrong-secret.txt");
  r = SendTest(request);
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.results_size(), 1);
  ASSERT_GE(r.results(0).calls_size(), 1);
  EXPECT_EQ(r.results(0).calls(0).errcode(), 40001);
  EXPECT_THAT(r.DebugString(), Not(HasSubstr("not-the-secret")));

  // A file that cannot be read is the caller's error, naming the field.
  request.mutable_settings()->mutable_wecom_configs(0)->set_api_secret_file("missing.txt");
  v1::SendTestMessageResponse response;
  auto ctx = Ctx();
  grpc::Status s = Admin()->SendTestMessage(ctx.get(), request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("wecom_configs[0].api_secret_file"));

  // Saved with the new file reference, the receiver keeps sending after a reload.
  v1::UpdateReceiverRequest update;
  *update.mutable_receiver() = GetReceiver("db");
  update.mutable_receiver()->mutable_wecom_configs(0)->set_api_secret("");
  update.mutable_receiver()->mutable_wecom_configs(0)->set_api_secret_file("db-secret.txt");
  v1::UpdateReceiverResponse updated;
  {
    auto uctx = Ctx();
    grpc::Status us = Admin()->UpdateReceiver(uctx.get(), update, &updated);
    ASSERT_TRUE(us.ok()) << us.error_message();
  }
  EXPECT_THAT(ReadFile(config_path_), HasSubstr("api_secret_file: db-secret.txt"));
  EXPECT_THAT(ReadFile(config_path_), Not(HasSubstr("api_secret: sim-secret-1000002")));
  v1::SendTestMessageRequest saved;
  saved.set_receiver("db");
  saved.set_text("probe-saved-secret-file");
  EXPECT_TRUE(SendTest(saved).ok());
  EXPECT_THAT(Delivered("lisi"), Contains("probe-saved-secret-file"));
}

TEST_F(AdminE2eTest, IpNotAllowedReports60020) {
  ASSERT_TRUE(StartNotifyd()) << stack_->notifyd()->Output();
  ASSERT_EQ(HttpRequest("POST", stack_->SimUrl("/sim/faults"),
                        R"({"endpoint":"message/send","count":1,"errcode":60020})").status, 200);
  v1::SendTestMessageRequest request;
  request.set_receiver("ops");
  auto r = SendTest(request);
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.results_size(), 1);
  EXPECT_EQ(r.results(0).code(), "PERMISSION_DENIED");
  ASSERT_GE(r.results(0).calls_size(), 1);
  EXPECT_EQ(r.results(0).calls(0).errcode(), 60020);
  EXPECT_THAT(r.results(0).calls(0).hint(), HasSubstr("IP"));
  EXPECT_TRUE(Delivered("zhangsan").empty());
}

TEST_F(AdminE2eTest, InvalidAndUnlicensedUsersAreReported) {
  ASSERT_TRUE(StartNotifyd()) << stack_->notifyd()->Output();
  v1::SendTestMessageRequest request;
  request.set_receiver("ops");
  *request.mutable_settings() = GetReceiver("ops");
  auto* users = request.mutable_settings()->mutable_wecom_configs(0)->mutable_to_user();
  users->Add("nobody");
  users->Add("zhaoliu");
  request.set_text("probe-invalid-users");
  auto r = SendTest(request);
  EXPECT_FALSE(r.ok());  // never "success" when WeCom named invalid recipients
  ASSERT_EQ(r.results_size(), 1);
  EXPECT_EQ(r.results(0).code(), "OK");
  EXPECT_THAT(r.results(0).invalid().users(), Contains("nobody"));
  EXPECT_THAT(r.results(0).invalid().unlicensed_users(), Contains("zhaoliu"));
  EXPECT_THAT(Delivered("zhangsan"), Contains("probe-invalid-users"));
}

TEST_F(AdminE2eTest, RouteTestSaysWhenLabelsMatchNoEnabledReceiver) {
  ASSERT_TRUE(StartNotifyd()) << stack_->notifyd()->Output();
  v1::TestRouteRequest request;
  (*request.mutable_labels())["alertname"] = "DbDown";
  (*request.mutable_labels())["team"] = "db";
  v1::TestRouteResponse r;
  auto ctx = Ctx();
  ASSERT_TRUE(Admin()->TestRoute(ctx.get(), request, &r).ok());
  EXPECT_FALSE(r.delivered());
  EXPECT_THAT(r.summary(), HasSubstr("match no enabled receiver"));
  EXPECT_THAT(r.summary(), HasSubstr("db"));
  ASSERT_EQ(r.routes_size(), 1);
  EXPECT_EQ(r.routes(0).receiver(), "db");
  EXPECT_EQ(r.routes(0).enabled_destinations(), 0);
  EXPECT_TRUE(Delivered("lisi").empty());
}

TEST_F(AdminE2eTest, RouteTestDeliversThroughTheRealRouting) {
  ASSERT_TRUE(StartNotifyd()) << stack_->notifyd()->Output();
  v1::TestRouteRequest request;
  (*request.mutable_labels())["alertname"] = "RouteProbe";
  (*request.mutable_labels())["severity"] = "critical";
  v1::TestRouteResponse r;
  auto ctx = Ctx();
  ASSERT_TRUE(Admin()->TestRoute(ctx.get(), request, &r).ok());
  EXPECT_TRUE(r.delivered()) << r.DebugString();
  ASSERT_EQ(r.routes_size(), 1);
  EXPECT_EQ(r.routes(0).receiver(), "ops");
  EXPECT_EQ(r.routes(0).group_key(), "{}:{alertname=\"RouteProbe\"}");
  ASSERT_EQ(r.routes(0).results_size(), 1);
  EXPECT_TRUE(r.routes(0).results(0).ok());
  auto delivered = Delivered("zhangsan");
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_THAT(delivered[0], HasSubstr("RouteProbe"));
  // Nothing was stored: a route test is not an alert.
  EXPECT_TRUE(stack_->ListAlerts().empty());
}

TEST_F(AdminE2eTest, UpdateIsAppliedAtOnceAndSurvivesARestart) {
  ASSERT_TRUE(StartNotifyd()) << stack_->notifyd()->Output();
  v1::UpdateReceiverRequest update;
  *update.mutable_receiver() = GetReceiver("db");
  update.mutable_receiver()->mutable_wecom_configs(0)->set_enabled(true);
  update.mutable_receiver()->mutable_wecom_configs(0)->add_to_user("wangwu");
  v1::UpdateReceiverResponse updated;
  {
    auto ctx = Ctx();
    grpc::Status s = Admin()->UpdateReceiver(ctx.get(), update, &updated);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_TRUE(updated.receiver().wecom_configs(0).enabled());
  EXPECT_EQ(updated.receiver().wecom_configs(0).api_secret(), "<secret>");
  // Applied at once: the db route now delivers.
  v1::TestRouteRequest route;
  (*route.mutable_labels())["alertname"] = "DbDown";
  (*route.mutable_labels())["team"] = "db";
  v1::TestRouteResponse routed;
  {
    auto ctx = Ctx();
    ASSERT_TRUE(Admin()->TestRoute(ctx.get(), route, &routed).ok());
  }
  EXPECT_TRUE(routed.delivered()) << routed.DebugString();
  EXPECT_EQ(Delivered("wangwu").size(), 1u);

  const std::string file = ReadFile(config_path_);
  EXPECT_THAT(file, HasSubstr("api_secret_file: secret.txt"));
  EXPECT_THAT(file, HasSubstr("wangwu"));

  stack_->StopNotifyd(SIGTERM);
  ASSERT_TRUE(StartNotifyd()) << stack_->notifyd()->Output();
  v1::Receiver db = GetReceiver("db");
  ASSERT_EQ(db.wecom_configs_size(), 1);
  EXPECT_TRUE(db.wecom_configs(0).enabled());
  EXPECT_THAT(db.wecom_configs(0).to_user(), Contains("wangwu"));
  EXPECT_EQ(GetReceiver("ops").wecom_configs(0).api_secret_file(), "secret.txt");
}

TEST_F(AdminE2eTest, TokenIsEnforced) {
  WriteFile(stack_->dir() + "/admin-token", "t0ken\n");
  ASSERT_TRUE(StartNotifyd({"--admin.token-file=" + stack_->dir() + "/admin-token"}))
      << stack_->notifyd()->Output();
  v1::GetStatusResponse r;
  {
    auto ctx = Ctx();
    EXPECT_EQ(Admin()->GetStatus(ctx.get(), {}, &r).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    auto ctx = Ctx("t0ken");
    EXPECT_TRUE(Admin()->GetStatus(ctx.get(), {}, &r).ok());
  }
  EXPECT_EQ(Ctl({"status"}).code, 1);
  auto with_token = Ctl({"--token-file", stack_->dir() + "/admin-token", "status"});
  EXPECT_EQ(with_token.code, 0) << with_token.output;
  // A token file that cannot serve is a usage error naming it, not a call without a token.
  auto missing = Ctl({"--token-file", stack_->dir() + "/no-such-token", "status"});
  EXPECT_EQ(missing.code, 2);
  EXPECT_THAT(missing.output, HasSubstr("--token-file: cannot read"));
  WriteFile(stack_->dir() + "/empty-token", "\n");
  auto empty = Ctl({"--token-file", stack_->dir() + "/empty-token", "status"});
  EXPECT_EQ(empty.code, 2);
  EXPECT_THAT(empty.output, HasSubstr("empty-token\" is empty"));
}

TEST_F(AdminE2eTest, NotifyctlEndToEnd) {
  ASSERT_TRUE(StartNotifyd()) << stack_->notifyd()->Output();

  auto help = Ctl({"--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_THAT(help.output, HasSubstr("receiver add NAME user|department|tag"));
  EXPECT_EQ(Ctl({}).code, 2);
  EXPECT_EQ(Ctl({"bogus"}).code, 2);
  EXPECT_EQ(Ctl({"receiver", "add", "ops", "group", "x"}).code, 2);
  EXPECT_EQ(Ctl({"-o", "yaml", "status"}).code, 2);

  auto status = Ctl({"status"});
  EXPECT_EQ(status.code, 0) << status.output;
  EXPECT_THAT(status.output, HasSubstr("routing: yes"));

  auto missing = Ctl({"receiver", "get", "nope"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_THAT(missing.output, HasSubstr("NOT_FOUND"));

  auto added = Ctl({"receiver", "add", "ops", "user", "lisi"});
  EXPECT_EQ(added.code, 0) << added.output;
  EXPECT_THAT(ReadFile(config_path_), HasSubstr("lisi"));

  auto test = Ctl({"test", "ops", "--text", "ctl-probe"});
  EXPECT_EQ(test.code, 0) << test.output;
  EXPECT_THAT(test.output, HasSubstr("delivered"));
  EXPECT_THAT(Delivered("lisi"), Contains("ctl-probe"));

  auto json = Ctl({"-o", "json", "test", "ops"});
  EXPECT_EQ(json.code, 0) << json.output;
  auto parsed = nlohmann::json::parse(json.output, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << json.output;
  EXPECT_EQ(parsed["ok"], true);

  auto nowhere = Ctl({"test", "--labels", "alertname=X,team=db"});
  EXPECT_EQ(nowhere.code, 1) << nowhere.output;
  EXPECT_THAT(nowhere.output, HasSubstr("match no enabled receiver"));

  EXPECT_EQ(Ctl({"receiver", "enable", "db"}).code, 0);
  auto routed = Ctl({"test", "--labels", "alertname=X,team=db"});
  EXPECT_EQ(routed.code, 0) << routed.output;
  EXPECT_THAT(routed.output, HasSubstr("delivered to db"));

  auto removed = Ctl({"receiver", "remove", "ops", "user", "zhangsan"});
  EXPECT_EQ(removed.code, 0) << removed.output;
  auto not_there = Ctl({"receiver", "remove", "ops", "user", "zhangsan"});
  EXPECT_EQ(not_there.code, 1) << not_there.output;

  auto bad_user = Ctl({"receiver", "add", "ops", "user", "nobody"});
  ASSERT_EQ(bad_user.code, 0);
  auto partial = Ctl({"test", "ops"});
  EXPECT_EQ(partial.code, 1) << partial.output;
  EXPECT_THAT(partial.output, HasSubstr("invalid users: nobody"));

  auto config = Ctl({"config", "get"});
  EXPECT_EQ(config.code, 0);
  EXPECT_THAT(config.output, HasSubstr("secret=file:secret.txt"));
  EXPECT_THAT(config.output, Not(HasSubstr("sim-secret-1000002")));
  // The global keys a pasted Alertmanager configuration sets are shown, when set.
  EXPECT_THAT(config.output, HasSubstr(" wechat_api_corp_id=ww-global-corp"));
  EXPECT_THAT(config.output, Not(HasSubstr("http_proxy=")));

  WriteFile(stack_->dir() + "/bad.yml", "route:\n  receiver: nobody\n");
  auto bad_apply = Ctl({"config", "apply", stack_->dir() + "/bad.yml"});
  EXPECT_EQ(bad_apply.code, 1);
  EXPECT_THAT(bad_apply.output, HasSubstr("INVALID_ARGUMENT"));

  auto alerts = Ctl({"alerts", "list", "alertname=X"});
  EXPECT_EQ(alerts.code, 0) << alerts.output;
  EXPECT_THAT(alerts.output, HasSubstr("0 alert(s)"));
}

TEST_F(AdminE2eTest, NotifyctlCoversTheOperatorFlow) {
  ASSERT_TRUE(StartNotifyd({"--config.watch-interval=0"})) << stack_->notifyd()->Output();

  // Recipients of every kind; the simulator's directory has department 2 and tag 1.
  for (const auto& [kind, id] : std::vector<std::pair<std::string, std::string>>{
           {"user", "wangwu"}, {"department", "2"}, {"tag", "1"}}) {
    auto added = Ctl({"receiver", "add", "ops", kind, id});
    EXPECT_EQ(added.code, 0) << added.output;
  }
  auto got = Ctl({"-o", "json", "receiver", "get", "ops"});
  ASSERT_EQ(got.code, 0) << got.output;
  auto ops = nlohmann::json::parse(got.output, nullptr, false);
  ASSERT_FALSE(ops.is_discarded()) << got.output;
  EXPECT_EQ(ops["wecom_configs"][0]["to_user"], nlohmann::json({"zhangsan", "wangwu"}));
  EXPECT_EQ(ops["wecom_configs"][0]["to_party"], nlohmann::json({"2"}));
  EXPECT_EQ(ops["wecom_configs"][0]["to_tag"], nlohmann::json({"1"}));
  EXPECT_EQ(Ctl({"receiver", "remove", "ops", "department", "2"}).code, 0);
  EXPECT_EQ(Ctl({"receiver", "add", "ops", "user"}).code, 2);  // no ID
  EXPECT_EQ(Ctl({"receiver", "add", "nope", "user", "x"}).code, 1);

  // Disable, and the routing says an alert would go nowhere; enable again (shorthand form).
  EXPECT_EQ(Ctl({"disable", "ops"}).code, 0);
  auto nowhere = Ctl({"test", "--dry-run", "--labels", "alertname=Y"});
  EXPECT_EQ(nowhere.code, 1) << nowhere.output;
  EXPECT_THAT(nowhere.output, HasSubstr("no enabled destination"));
  EXPECT_EQ(Ctl({"enable", "ops"}).code, 0);
  auto json_route = Ctl({"-o", "json", "test", "--dry-run", "--labels", "alertname=Y"});
  EXPECT_EQ(json_route.code, 0) << json_route.output;
  auto routed = nlohmann::json::parse(json_route.output, nullptr, false);
  ASSERT_FALSE(routed.is_discarded()) << json_route.output;
  EXPECT_EQ(routed["delivered"], true);
  EXPECT_EQ(routed["routes"][0]["receiver"], "ops");

  // config get as JSON: secrets masked, the file reference shown.
  auto config = Ctl({"-o", "json", "config", "get"});
  ASSERT_EQ(config.code, 0) << config.output;
  EXPECT_THAT(config.output, Not(HasSubstr("sim-secret-1000002")));
  auto parsed = nlohmann::json::parse(config.output, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << config.output;
  EXPECT_EQ(parsed["config"]["receivers"][0]["wecom_configs"][0]["api_secret_file"], "secret.txt");
  EXPECT_EQ(parsed["config"]["receivers"][1]["wecom_configs"][0]["api_secret"], "<secret>");

  // config apply of a good file, then config reload picks up an edit made behind its back.
  std::string yaml = ReadFile(config_path_);
  WriteFile(stack_->dir() + "/next.yml", yaml);
  auto applied = Ctl({"config", "apply", stack_->dir() + "/next.yml"});
  EXPECT_EQ(applied.code, 0) << applied.output;
  WriteFile(config_path_, absl::StrReplaceAll(yaml, {{"group_wait: 1h", "group_wait: 2h"}}));
  auto reloaded = Ctl({"config", "reload"});
  EXPECT_EQ(reloaded.code, 0) << reloaded.output;
  EXPECT_THAT(reloaded.output, HasSubstr("reloaded; version"));
  EXPECT_THAT(Ctl({"config", "get"}).output, HasSubstr("group_wait: 2h"));
  WriteFile(config_path_, "route: [\n");
  auto bad_reload = Ctl({"config", "reload"});
  EXPECT_EQ(bad_reload.code, 1);
  EXPECT_THAT(bad_reload.output, HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(bad_reload.output, HasSubstr("notifyd.yml:"));
  EXPECT_THAT(Ctl({"config", "get"}).output, HasSubstr("group_wait: 2h"));  // still running
  EXPECT_EQ(Ctl({"config", "reload", "extra"}).code, 2);

  // alerts list, human and JSON.
  Stack* stack = stack_.get();
  {
    auto stub = v1::Notify::NewStub(
        grpc::CreateChannel(stack->grpc_address(), grpc::InsecureChannelCredentials()));
    v1::NotifyRequest request;
    (*request.add_alerts()->mutable_labels())["alertname"] = "CtlListed";
    v1::NotifyResponse response;
    auto ctx = Ctx();
    ASSERT_TRUE(stub->Notify(ctx.get(), request, &response).ok());
  }
  auto listed = Ctl({"alerts", "list", "alertname=\"CtlListed\""});
  EXPECT_EQ(listed.code, 0) << listed.output;
  EXPECT_THAT(listed.output, HasSubstr("firing"));
  EXPECT_THAT(listed.output, HasSubstr("{alertname=\"CtlListed\"}"));
  EXPECT_THAT(listed.output, HasSubstr("1 alert(s)"));
  auto listed_json = Ctl({"-o", "json", "alerts", "list"});
  auto alerts = nlohmann::json::parse(listed_json.output, nullptr, false);
  ASSERT_FALSE(alerts.is_discarded()) << listed_json.output;
  EXPECT_EQ(alerts["alerts"][0]["labels"]["alertname"], "CtlListed");
  EXPECT_EQ(Ctl({"alerts", "list", "alertname=~("}).code, 2);

  // Help names every command; notifyd down is exit 1 with the gRPC code.
  auto help = Ctl({"--help"});
  for (const char* command : {"status", "config get", "config apply", "config reload",
                              "receiver add", "receiver remove", "receiver enable", "test RECEIVER",
                              "test --labels", "alerts list", "-o [ --output ]"}) {
    EXPECT_THAT(help.output, HasSubstr(command));
  }
  stack_->StopNotifyd(SIGTERM);
  auto down = Ctl({"--timeout", "2", "status"});
  EXPECT_EQ(down.code, 1);
  EXPECT_THAT(down.output, HasSubstr("UNAVAILABLE"));
}

}  // namespace
}  // namespace wecom_notify::testing
