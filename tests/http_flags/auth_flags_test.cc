#include "libs/http_flags/auth_flags.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tests/http_flags/parse_flags.h"
#include "tests/testing/testing.h"

namespace wecom_notify::http_flags {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using wecom_notify::testing::MakeTempDir;
using wecom_notify::testing::WriteFile;

TEST(AuthFlagsTest, WithoutFlagsNothingIsRequiredAndTheGraceIsTheDefault) {
  shim::ShimOptions options;
  AuthFlags flags("web", "Followed.", &options);
  ParseFlags(flags, {});
  ASSERT_TRUE(flags.Apply().ok());
  EXPECT_EQ(options.bearer_token, "");
  EXPECT_EQ(options.basic_username, "");
  EXPECT_EQ(options.credentials_rotation_grace, shim::ShimOptions().credentials_rotation_grace);
}

TEST(AuthFlagsTest, FilesAreReadUnderTheirPrefix) {
  const std::string dir = MakeTempDir("auth_flags");
  WriteFile(dir + "/token", "t0ken\n");
  WriteFile(dir + "/password", "  pa55\n");
  {
    shim::ShimOptions options;
    AuthFlags flags("alerts-api", "Followed.", &options);
    ParseFlags(flags, {"--alerts-api.auth.bearer-token-file=" + dir + "/token",
                       "--alerts-api.auth.rotation-grace=90s"});
    ASSERT_TRUE(flags.Apply().ok());
    EXPECT_EQ(options.bearer_token, "t0ken");
    EXPECT_EQ(options.bearer_token_file, dir + "/token");
    EXPECT_EQ(options.credentials_rotation_grace, absl::Seconds(90));
  }
  {
    shim::ShimOptions options;
    AuthFlags flags("web", "Followed.", &options);
    ParseFlags(flags, {"--web.auth.basic-username=user1",
                       "--web.auth.basic-password-file=" + dir + "/password",
                       "--web.auth.rotation-grace=0"});
    ASSERT_TRUE(flags.Apply().ok());
    EXPECT_EQ(options.basic_username, "user1");
    EXPECT_EQ(options.basic_password, "pa55");
    EXPECT_EQ(options.basic_password_file, dir + "/password");
    EXPECT_EQ(options.credentials_rotation_grace, absl::ZeroDuration());
  }
}

TEST(AuthFlagsTest, ABadValueIsRefusedNamingItsFlagWithoutTheSecret) {
  const std::string dir = MakeTempDir("auth_flags");
  WriteFile(dir + "/token", "t0ken-not-to-be-printed\n");
  WriteFile(dir + "/empty", "\n");
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  for (const Case& c : std::vector<Case>{
           {{"--web.auth.rotation-grace=later"}, "--web.auth.rotation-grace: "},
           {{"--web.auth.bearer-token-file=" + dir + "/missing"}, "--web.auth.bearer-token-file: "},
           {{"--web.auth.basic-username=u", "--web.auth.basic-password-file=" + dir + "/empty"},
            "--web.auth.basic-password-file: "},
           {{"--web.auth.bearer-token-file=" + dir + "/token", "--web.auth.basic-username=u"},
            "--web.auth.bearer-token-file and --web.auth.basic-username are mutually exclusive"},
       }) {
    shim::ShimOptions options;
    AuthFlags flags("web", "Followed.", &options);
    ParseFlags(flags, c.args);
    const absl::Status applied = flags.Apply();
    EXPECT_FALSE(applied.ok()) << c.error;
    EXPECT_THAT(applied.message(), HasSubstr(c.error));
    EXPECT_THAT(applied.message(), Not(HasSubstr("t0ken-not-to-be-printed")));
    // Nothing half-applied.
    EXPECT_EQ(options.bearer_token, "") << c.error;
    EXPECT_EQ(options.basic_username, "") << c.error;
  }
}

}  // namespace
}  // namespace wecom_notify::http_flags
