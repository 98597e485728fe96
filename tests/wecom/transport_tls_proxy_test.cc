// CurlHttpTransport over HTTPS and through a real HTTP proxy, against the real WeCom simulator:
// wecom-sim serves TLS with a certificate made by `openssl` at test time (a throw-away CA valid
// for two days; nothing that expires is checked in), and Debian's tinyproxy runs on 127.0.0.1
// with a generated configuration. Both are stopped by PID. Real time, real sockets.

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/wecom/app_message_sender.h"
#include "libs/wecom/curl_http_transport.h"
#include "tests/testing/testing.h"

namespace wecom_notify::wecom {
namespace {

namespace tt = ::wecom_notify::testing;
using ::testing::HasSubstr;
using Json = nlohmann::json;

// Runs `command` through the shell; output goes to `log`.
void Shell(const std::string& command, const std::string& log) {
  const std::string line = absl::StrCat(command, " >>", log, " 2>&1");
  ASSERT_EQ(std::system(line.c_str()), 0) << line << "\n" << tt::ReadFile(log);
}

class TlsProxyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = tt::MakeTempDir("wecom-tls");
    const std::string log = dir_ + "/openssl.log";
    // A CA, and a server certificate for 127.0.0.1 signed by it.
    Shell(absl::StrCat("cd ", dir_,
                     " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
                     "-nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=wecom-notify-test-ca "
                     "-addext basicConstraints=critical,CA:TRUE "
                     "-addext keyUsage=critical,keyCertSign"),
        log);
    Shell(absl::StrCat("cd ", dir_,
                     " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                     "-keyout server.key -out server.csr -subj /CN=127.0.0.1"),
        log);
    tt::WriteFile(dir_ + "/ext.cnf", "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    Shell(absl::StrCat("cd ", dir_,
                     " && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key "
                     "-CAcreateserial -out server.pem -days 2 -extfile ext.cnf"),
        log);

    sim_port_ = tt::FreePort();
    auto sim = tt::Process::Start(
        {tt::BinPath("wecom-sim"), absl::StrCat("--web.listen-address=127.0.0.1:", sim_port_),
         "--rate-limits=off", absl::StrCat("--web.tls-cert-file=", dir_, "/server.pem"),
         absl::StrCat("--web.tls-key-file=", dir_, "/server.key")},
        dir_ + "/sim.log");
    ASSERT_TRUE(sim.ok()) << sim.status();
    sim_ = sim->release();
    ASSERT_TRUE(tt::WaitFor(
        [] { return sim_->Output().find("listening on") != std::string::npos; },
        absl::Seconds(10)))
        << sim_->Output();
    ASSERT_THAT(sim_->Output(), HasSubstr("(https)"));

    proxy_port_ = tt::FreePort();
    tt::WriteFile(dir_ + "/tinyproxy.conf",
                  absl::StrCat("Port ", proxy_port_,
                               "\nListen 127.0.0.1\nTimeout 30\nLogFile \"", dir_,
                               "/tinyproxy.log\"\nLogLevel Info\nMaxClients 20\n"
                               "Allow 127.0.0.1\nConnectPort ",
                               sim_port_, "\n"));
    // -d: stay in the foreground, so the PID we hold is the proxy's.
    auto proxy = tt::Process::Start({"/usr/bin/tinyproxy", "-d", "-c", dir_ + "/tinyproxy.conf"},
                                    dir_ + "/tinyproxy.out");
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    proxy_ = proxy->release();
    ASSERT_TRUE(tt::WaitFor([] { return tt::HttpRequest("GET", ProxyUrl()).status != 0; },
                            absl::Seconds(10)))
        << proxy_->Output();
  }
  static void TearDownTestSuite() {
    for (tt::Process** p : {&sim_, &proxy_}) {
      if (*p != nullptr) (*p)->Stop(SIGTERM);
      delete *p;
      *p = nullptr;
    }
  }
  void SetUp() override {
    ASSERT_NE(sim_, nullptr);
    ASSERT_NE(proxy_, nullptr);
    // The environment must not route or exempt anything behind the test's back.
    for (const char* v : {"https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy",
                          "ALL_PROXY", "no_proxy", "NO_PROXY"}) {
      unsetenv(v);
    }
  }
  void TearDown() override { unsetenv("https_proxy"); }

  static std::string ProxyUrl() { return absl::StrCat("http://127.0.0.1:", proxy_port_); }
  static std::string Base() { return absl::StrCat("https://127.0.0.1:", sim_port_); }
  static std::string CaBundle() { return dir_ + "/ca.pem"; }

  // CONNECT requests tinyproxy has logged for the simulator.
  static int ProxiedConnects() {
    int n = 0;
    const std::string want = absl::StrCat("CONNECT 127.0.0.1:", sim_port_);
    for (absl::string_view line :
         absl::StrSplit(tt::ReadFile(dir_ + "/tinyproxy.log"), '\n')) {
      if (absl::StrContains(line, want)) ++n;
    }
    return n;
  }

  static std::unique_ptr<CurlHttpTransport> Transport(const std::string& ca_bundle,
                                                      const std::string& proxy = "") {
    CurlHttpTransport::Options options;
    options.ca_bundle_path = ca_bundle;
    options.proxy_url = proxy;
    options.connect_timeout = absl::Seconds(5);
    options.total_timeout = absl::Seconds(10);
    auto t = CurlHttpTransport::Create(options);
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? *std::move(t) : nullptr;
  }

  // Sends one app message to lisi through `transport`, with `proxy_url` on the credentials.
  static absl::Status SendApp(CurlHttpTransport& transport, const std::string& content,
                              const std::string& proxy_url = "",
                              bool proxy_from_environment = true) {
    TokenCache tokens(transport, Clock::Real());
    AppConfig c;
    c.credentials.api_url = Base() + "/cgi-bin/";
    c.credentials.corp_id = "ww-sim-corp";
    c.credentials.secret = "sim-secret-1000002";
    c.credentials.proxy_url = proxy_url;
    c.credentials.proxy_from_environment = proxy_from_environment;
    c.agent_id = 1000002;
    AppMessageSender::Deps d;
    d.transport = &transport;
    d.tokens = &tokens;
    d.clock = &Clock::Real();
    Recipients to;
    to.users = {"lisi"};
    RetryPolicy once;
    once.max_attempts = 1;
    return AppMessageSender(c, to, d, once).Send(MessageFormat::kText, content, nullptr);
  }

  // Whether the simulator recorded `content` for lisi (read over HTTPS with the CA bundle).
  static bool Received(const std::string& content) {
    auto t = Transport(CaBundle());
    HttpRequest r;
    r.url = Base() + "/sim/messages?touser=lisi";
    auto response = t->Send(r);
    if (!response.ok() || response->status_code != 200) {
      ADD_FAILURE() << "GET /sim/messages: "
                    << (response.ok() ? absl::StrCat(response->status_code, " ", response->body)
                                      : response.status().ToString());
      return false;
    }
    const Json all = Json::parse(response->body);
    for (const Json& m : all["messages"]) {
      if (m["content"]["content"] == content) return true;
    }
    return false;
  }

  static std::string dir_;
  static int sim_port_, proxy_port_;
  static tt::Process* sim_;
  static tt::Process* proxy_;
};

std::string TlsProxyTest::dir_;
int TlsProxyTest::sim_port_ = 0;
int TlsProxyTest::proxy_port_ = 0;
tt::Process* TlsProxyTest::sim_ = nullptr;
tt::Process* TlsProxyTest::proxy_ = nullptr;

TEST_F(TlsProxyTest, HttpsWithTheCaBundleIsDelivered) {
  auto t = Transport(CaBundle());
  ASSERT_TRUE(SendApp(*t, "https direct").ok());
  EXPECT_TRUE(Received("https direct"));
}

TEST_F(TlsProxyTest, HttpsWithoutTheCaBundleFailsWithAClearPermanentError) {
  auto t = Transport("");  // the system bundle does not know the test CA
  HttpRequest r;
  r.url = Base() + "/cgi-bin/gettoken?corpid=ww-sim-corp&corpsecret=sim-secret-1000002";
  auto response = t->Send(r);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(response.status().message(), HasSubstr("certificate"));
  EXPECT_THAT(response.status().message(), ::testing::Not(HasSubstr("sim-secret-1000002")));

  const absl::Status s = SendApp(*t, "never");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(s.message(), HasSubstr("add its CA certificate to the CA bundle option"));
  EXPECT_FALSE(Received("never"));
}

TEST_F(TlsProxyTest, PerReceiverProxyUrlCarriesTheRequest) {
  auto t = Transport(CaBundle());
  const int before = ProxiedConnects();
  ASSERT_TRUE(SendApp(*t, "via proxy_url", ProxyUrl()).ok());
  EXPECT_TRUE(Received("via proxy_url"));
  // gettoken and message/send, each on a tunnel (the pool is per proxy, so at least one).
  EXPECT_GE(ProxiedConnects(), before + 1);
}

TEST_F(TlsProxyTest, TransportWideProxyCarriesTheRequest) {
  auto t = Transport(CaBundle(), ProxyUrl());
  const int before = ProxiedConnects();
  ASSERT_TRUE(SendApp(*t, "via global proxy").ok());
  EXPECT_TRUE(Received("via global proxy"));
  EXPECT_GE(ProxiedConnects(), before + 1);
}

TEST_F(TlsProxyTest, HttpsProxyEnvironmentCarriesTheRequest) {
  setenv("https_proxy", ProxyUrl().c_str(), 1);
  auto t = Transport(CaBundle());
  const int before = ProxiedConnects();
  ASSERT_TRUE(SendApp(*t, "via https_proxy").ok());
  EXPECT_TRUE(Received("via https_proxy"));
  EXPECT_GE(ProxiedConnects(), before + 1);
}

// http_config.proxy_from_environment: false — the environment's proxy is not used (gettoken and
// message/send both go direct), while the same transport still uses it for others.
TEST_F(TlsProxyTest, ProxyFromEnvironmentFalseGoesDirect) {
  setenv("https_proxy", ProxyUrl().c_str(), 1);
  auto t = Transport(CaBundle());
  const int before = ProxiedConnects();
  ASSERT_TRUE(SendApp(*t, "direct despite https_proxy", "", /*proxy_from_environment=*/false).ok());
  EXPECT_EQ(ProxiedConnects(), before);
  ASSERT_TRUE(SendApp(*t, "via https_proxy again").ok());
  EXPECT_GE(ProxiedConnects(), before + 1);
  EXPECT_TRUE(Received("direct despite https_proxy"));  // Received's own GET uses the proxy
}

TEST_F(TlsProxyTest, WithoutAProxyNothingGoesThroughIt) {
  auto t = Transport(CaBundle());
  const int before = ProxiedConnects();
  ASSERT_TRUE(SendApp(*t, "direct again").ok());
  EXPECT_EQ(ProxiedConnects(), before);
}

TEST_F(TlsProxyTest, DeadProxyIsATransientTransportError) {
  auto t = Transport(CaBundle(), absl::StrCat("http://127.0.0.1:", tt::FreePort()));
  const absl::Status s = SendApp(*t, "no route");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_THAT(s.message(), HasSubstr("proxy"));
}

}  // namespace
}  // namespace wecom_notify::wecom
