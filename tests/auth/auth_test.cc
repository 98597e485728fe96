#include "libs/auth/auth.h"

#include <gtest/gtest.h>

#include "absl/time/time.h"
#include "libs/common/clock.h"

namespace wecom_notify::auth {
namespace {

Authenticator Bearer(const std::string& token) { return *Authenticator::Create(token, "", ""); }

TEST(RotatingAuthenticatorTest, ReplacedTokenIsAcceptedUntilTheGraceEnds) {
  SimulatedClock clock;
  RotatingAuthenticator auth(Bearer("one"), absl::Minutes(5));
  EXPECT_TRUE(auth.Allows("Bearer one", clock));
  EXPECT_FALSE(auth.Allows("Bearer two", clock));

  auth.Rotate(Bearer("two"), clock.Now());
  EXPECT_TRUE(auth.Allows("Bearer two", clock));
  EXPECT_TRUE(auth.Allows("Bearer one", clock));
  clock.Advance(absl::Minutes(5) - absl::Milliseconds(1));
  EXPECT_TRUE(auth.Allows("Bearer one", clock));
  clock.Advance(absl::Milliseconds(1));
  EXPECT_FALSE(auth.Allows("Bearer one", clock));
  EXPECT_TRUE(auth.Allows("Bearer two", clock));
  EXPECT_FALSE(auth.Allows("", clock));
  EXPECT_EQ(auth.challenge(), "Bearer");
}

TEST(RotatingAuthenticatorTest, ZeroGraceRefusesTheReplacedTokenAtOnce) {
  SimulatedClock clock;
  RotatingAuthenticator auth(Bearer("one"), absl::ZeroDuration());
  auth.Rotate(Bearer("two"), clock.Now());
  EXPECT_FALSE(auth.Allows("Bearer one", clock));
  EXPECT_TRUE(auth.Allows("Bearer two", clock));
}

TEST(RotatingAuthenticatorTest, OnlyTheLastReplacedTokenKeepsItsGrace) {
  SimulatedClock clock;
  RotatingAuthenticator auth(Bearer("one"), absl::Minutes(5));
  auth.Rotate(Bearer("two"), clock.Now());
  clock.Advance(absl::Minutes(1));
  auth.Rotate(Bearer("three"), clock.Now());
  EXPECT_FALSE(auth.Allows("Bearer one", clock));
  EXPECT_TRUE(auth.Allows("Bearer two", clock));
  EXPECT_TRUE(auth.Allows("Bearer three", clock));
  // The grace runs from the rotation that replaced the token, not from the first one.
  clock.Advance(absl::Minutes(4) + absl::Seconds(59));
  EXPECT_TRUE(auth.Allows("Bearer two", clock));
}

TEST(RotatingAuthenticatorTest, ReplacedBasicPasswordIsAcceptedDuringTheGrace) {
  SimulatedClock clock;
  RotatingAuthenticator auth(*Authenticator::Create("", "user1", "pass1"), absl::Minutes(5));
  auth.Rotate(*Authenticator::Create("", "user1", "pass2"), clock.Now());
  EXPECT_TRUE(auth.Allows("Basic dXNlcjE6cGFzczE=", clock));  // user1:pass1
  EXPECT_TRUE(auth.Allows("Basic dXNlcjE6cGFzczI=", clock));  // user1:pass2
  clock.Advance(absl::Minutes(5));
  EXPECT_FALSE(auth.Allows("Basic dXNlcjE6cGFzczE=", clock));
}

// An authenticator that requires nothing allows every request; as the replaced one it must not.
TEST(RotatingAuthenticatorTest, RotationNeverOpensTheApi) {
  SimulatedClock clock;
  RotatingAuthenticator auth(*Authenticator::Create("", "", ""), absl::Minutes(5));
  auth.Rotate(Bearer("two"), clock.Now());
  EXPECT_FALSE(auth.Allows("", clock));
  EXPECT_FALSE(auth.Allows("Bearer one", clock));
  EXPECT_TRUE(auth.Allows("Bearer two", clock));
}

}  // namespace
}  // namespace wecom_notify::auth
