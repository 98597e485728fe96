#include "libs/dispatch/route.h"

#include <gtest/gtest.h>

namespace wecom_notify::dispatch {
namespace {

alert::Matcher M(absl::string_view text) { return *alert::Matcher::Parse(text); }

std::vector<std::string> Receivers(const Route& root, const alert::LabelSet& labels) {
  std::vector<std::string> out;
  for (const Route* r : root.Match(labels)) out.push_back(r->options().receiver);
  return out;
}

TEST(RouteTest, FirstMatchingChildWinsUnlessContinue) {
  RouteSpec root;
  root.receiver = "default";
  RouteSpec critical;
  critical.receiver = "oncall";
  critical.matchers = {M("severity=critical")};
  critical.continue_matching = true;
  RouteSpec db;
  db.receiver = "dba";
  db.matchers = {M("team=~\"db|storage\"")};
  RouteSpec db_again;
  db_again.receiver = "never";
  db_again.matchers = {M("team=db")};
  root.routes = {critical, db, db_again};
  auto tree = Route::BuildTree(root);
  ASSERT_TRUE(tree.ok()) << tree.status();

  EXPECT_EQ(Receivers(**tree, {{"severity", "critical"}, {"team", "db"}}),
            (std::vector<std::string>{"oncall", "dba"}));
  EXPECT_EQ(Receivers(**tree, {{"team", "db"}}), (std::vector<std::string>{"dba"}));
  EXPECT_EQ(Receivers(**tree, {{"team", "web"}}), (std::vector<std::string>{"default"}));
}

TEST(RouteTest, ChildrenInheritUnsetOptions) {
  RouteSpec root;
  root.receiver = "default";
  root.group_by = std::vector<std::string>{"alertname", "cluster"};
  root.group_wait = absl::Seconds(10);
  root.repeat_interval = absl::Hours(4);
  RouteSpec child;
  child.matchers = {M("severity=critical")};
  child.group_wait = absl::Seconds(0);
  root.routes = {child};
  auto tree = Route::BuildTree(root);
  ASSERT_TRUE(tree.ok());
  const Route& c = *(*tree)->children()[0];
  EXPECT_EQ(c.options().receiver, "default");
  EXPECT_EQ(c.options().group_by, (std::vector<std::string>{"alertname", "cluster"}));
  EXPECT_EQ(c.options().group_wait, absl::ZeroDuration());
  EXPECT_EQ(c.options().repeat_interval, absl::Hours(4));
  EXPECT_EQ(c.options().group_interval, absl::Minutes(5));
}

TEST(RouteTest, DefaultsAreAlertmanagersWithTwelveHourRepeat) {
  RouteSpec root;
  root.receiver = "r";
  auto tree = Route::BuildTree(root);
  ASSERT_TRUE(tree.ok());
  EXPECT_EQ((*tree)->options().group_wait, absl::Seconds(30));
  EXPECT_EQ((*tree)->options().group_interval, absl::Minutes(5));
  EXPECT_EQ((*tree)->options().repeat_interval, absl::Hours(12));
}

TEST(RouteTest, KeysReadLikeAlertmanagers) {
  RouteSpec root;
  root.receiver = "r";
  root.group_by = std::vector<std::string>{"alertname"};
  RouteSpec child;
  child.matchers = {M("target=\"x\"")};
  root.routes = {child};
  auto tree = Route::BuildTree(root);
  ASSERT_TRUE(tree.ok());
  EXPECT_EQ((*tree)->GroupKey((*tree)->GroupLabels({{"alertname", "DiskFull"}, {"x", "1"}})),
            "{}:{alertname=\"DiskFull\"}");
  const Route& c = *(*tree)->children()[0];
  EXPECT_EQ(c.key(), "{}/{target=\"x\"}");
  EXPECT_EQ(LabelSetString({{"b", "say \"hi\""}, {"a", "x"}}), "{a=\"x\", b=\"say \\\"hi\\\"\"}");
}

TEST(RouteTest, GroupByAllMakesOneGroupPerAlert) {
  RouteSpec root;
  root.receiver = "r";
  root.group_by = std::vector<std::string>{"..."};
  auto tree = Route::BuildTree(root);
  ASSERT_TRUE(tree.ok());
  alert::LabelSet labels({{"alertname", "T"}, {"i", "1"}});
  EXPECT_EQ((*tree)->GroupLabels(labels), labels);
}

TEST(RouteTest, AppendGroupKeyIsTheGroupKeyOfTheGroupLabels) {
  RouteSpec by_two;
  by_two.receiver = "r";
  by_two.group_by = std::vector<std::string>{"job", "alertname"};  // sorted by the tree
  RouteSpec by_all = by_two;
  by_all.group_by = std::vector<std::string>{"..."};
  RouteSpec by_none = by_two;
  by_none.group_by = std::vector<std::string>{};
  RouteSpec child;
  child.matchers = {M("team=\"db\"")};
  by_two.routes = {child};

  const std::vector<alert::LabelSet> label_sets = {
      {},
      {{"alertname", "DiskFull"}},
      {{"alertname", "DiskFull"}, {"job", "node"}, {"team", "db"}},
      {{"job", "quote\" back\\ tab\t nl\n bell\x07 中文"}, {"zzz", "1"}},
  };
  for (const RouteSpec& spec : {by_two, by_all, by_none}) {
    auto tree = Route::BuildTree(spec);
    ASSERT_TRUE(tree.ok()) << tree.status();
    std::vector<const Route*> routes = {tree->get()};
    for (const auto& c : (*tree)->children()) routes.push_back(c.get());
    for (const Route* route : routes) {
      for (const alert::LabelSet& labels : label_sets) {
        std::string key = "prefix kept|";
        route->AppendGroupKey(labels, &key);
        EXPECT_EQ(key, "prefix kept|" + route->GroupKey(route->GroupLabels(labels)))
            << route->key() << " " << LabelSetString(labels);
      }
    }
  }
}

TEST(RouteTest, InvalidTreesAreRejectedNamingTheProblem) {
  RouteSpec no_receiver;
  EXPECT_FALSE(Route::BuildTree(no_receiver).ok());

  RouteSpec wildcard_mix;
  wildcard_mix.receiver = "r";
  wildcard_mix.group_by = std::vector<std::string>{"...", "alertname"};
  EXPECT_NE(Route::BuildTree(wildcard_mix).status().message().find("'...'"), std::string::npos);

  RouteSpec zero_interval;
  zero_interval.receiver = "r";
  zero_interval.group_interval = absl::ZeroDuration();
  EXPECT_NE(Route::BuildTree(zero_interval).status().message().find("group_interval"),
            std::string::npos);

  RouteSpec dup;
  dup.receiver = "r";
  dup.group_by = std::vector<std::string>{"a", "a"};
  EXPECT_FALSE(Route::BuildTree(dup).ok());

  RouteSpec root_matcher;
  root_matcher.receiver = "r";
  root_matcher.matchers = {M("a=b")};
  EXPECT_FALSE(Route::BuildTree(root_matcher).ok());
}

}  // namespace
}  // namespace wecom_notify::dispatch
