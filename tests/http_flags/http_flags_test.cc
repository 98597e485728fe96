#include "libs/http_flags/http_flags.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tests/http_flags/parse_flags.h"

namespace wecom_notify::http_flags {
namespace {

using ::testing::HasSubstr;

TEST(ServerFlagsTest, DefaultsAreTheServerOptionsGiven) {
  http::ServerOptions server;
  server.read_timeout = absl::Seconds(45);
  ServerFlags flags("web", &server);
  ParseFlags(flags, {});
  ASSERT_TRUE(flags.Apply().ok());
  EXPECT_EQ(server.read_timeout, absl::Seconds(45));
  EXPECT_EQ(server.idle_timeout, http::ServerOptions().idle_timeout);
  EXPECT_EQ(server.max_body_bytes, http::ServerOptions().max_body_bytes);
  EXPECT_EQ(server.threads, http::ServerOptions().threads);
}

TEST(ServerFlagsTest, EveryFlagReachesTheServerOptionsUnderItsPrefix) {
  http::ServerOptions server;
  ServerFlags flags("alerts-api", &server);
  ParseFlags(flags, {"--alerts-api.max-body-bytes=4096", "--alerts-api.read-timeout=1m30s",
                     "--alerts-api.idle-timeout=500ms", "--alerts-api.threads=3",
                     "--alerts-api.tls-cert-file=/c.pem", "--alerts-api.tls-key-file=/k.pem"});
  ASSERT_TRUE(flags.Apply().ok());
  EXPECT_EQ(server.max_body_bytes, 4096u);
  EXPECT_EQ(server.read_timeout, absl::Seconds(90));
  EXPECT_EQ(server.idle_timeout, absl::Milliseconds(500));
  EXPECT_EQ(server.threads, 3);
  EXPECT_EQ(server.tls_cert_file, "/c.pem");
  EXPECT_EQ(server.tls_key_file, "/k.pem");
}

TEST(ServerFlagsTest, ABadValueIsRefusedNamingItsFlag) {
  struct Case {
    std::string arg;
    std::string error;
  };
  for (const Case& c : std::vector<Case>{
           {"--web.read-timeout=soon", "--web.read-timeout: "},
           {"--web.idle-timeout=0", "--web.idle-timeout: must be greater than 0"},
           {"--web.threads=0", "--web.threads: must be at least 1"},
       }) {
    http::ServerOptions server;
    ServerFlags flags("web", &server);
    ParseFlags(flags, {c.arg});
    const absl::Status applied = flags.Apply();
    EXPECT_EQ(applied.code(), absl::StatusCode::kInvalidArgument) << c.arg;
    EXPECT_THAT(applied.message(), HasSubstr(c.error)) << c.arg;
    // Nothing half-applied.
    EXPECT_EQ(server.read_timeout, http::ServerOptions().read_timeout) << c.arg;
    EXPECT_EQ(server.idle_timeout, http::ServerOptions().idle_timeout) << c.arg;
  }
}

}  // namespace
}  // namespace wecom_notify::http_flags
