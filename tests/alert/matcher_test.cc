#include "libs/alert/matcher.h"

#include <gtest/gtest.h>

namespace wecom_notify::alert {
namespace {

const LabelSet kLabels({{"alertname", "DiskFull"}, {"severity", "critical"}});

bool Matches(absl::string_view text, const LabelSet& labels = kLabels) {
  auto m = Matcher::Parse(text);
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() && m->Matches(labels);
}

TEST(MatcherTest, AllFourOperators) {
  EXPECT_TRUE(Matches("alertname=DiskFull"));
  EXPECT_TRUE(Matches("alertname=\"DiskFull\""));
  EXPECT_FALSE(Matches("alertname!=DiskFull"));
  EXPECT_TRUE(Matches("severity=~\"crit.*\""));
  EXPECT_FALSE(Matches("severity!~\"crit.*\""));
}

TEST(MatcherTest, RegexIsAnchored) {
  EXPECT_FALSE(Matches("severity=~crit"));
  EXPECT_TRUE(Matches("severity=~\"warning|critical\""));
}

TEST(MatcherTest, MissingLabelMatchesAsEmpty) {
  EXPECT_TRUE(Matches("team=\"\""));
  EXPECT_FALSE(Matches("team!=\"\""));
}

TEST(MatcherTest, BadInputNamesTheMatcher) {
  auto bad_regex = Matcher::Create("severity", Matcher::Type::kRegex, "(");
  ASSERT_FALSE(bad_regex.ok());
  EXPECT_NE(bad_regex.status().message().find("severity"), absl::string_view::npos);
  EXPECT_FALSE(Matcher::Parse("=x").ok());
  EXPECT_FALSE(Matcher::Parse("0bad=x").ok());
  EXPECT_FALSE(Matcher::Create("", Matcher::Type::kEqual, "x").ok());
}

TEST(MatcherTest, MatchesAllRequiresEveryMatcher) {
  std::vector<Matcher> matchers = {*Matcher::Parse("alertname=DiskFull"),
                                   *Matcher::Parse("severity=warning")};
  EXPECT_FALSE(MatchesAll(matchers, kLabels));
  matchers.pop_back();
  EXPECT_TRUE(MatchesAll(matchers, kLabels));
  EXPECT_TRUE(MatchesAll({}, kLabels));
}

}  // namespace
}  // namespace wecom_notify::alert
