#include "libs/alert/label_set.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "libs/alert/label_names.h"

namespace wecom_notify::alert {
namespace {

std::vector<std::string> Pairs(const LabelSet& set) {
  std::vector<std::string> out;
  for (const auto& [name, value] : set) out.push_back(std::string(name) + "=" + std::string(value));
  return out;
}

TEST(LabelSetTest, SortsByNameAndTheLastOfARepeatedNameWins) {
  LabelSet set({{"job", "node"}, {"alertname", "A"}, {"job", "api"}, {"zone", ""}});
  EXPECT_EQ(Pairs(set), (std::vector<std::string>{"alertname=A", "job=api", "zone="}));
  EXPECT_EQ(set.size(), 3u);
}

TEST(LabelSetTest, GetFindsEveryNameAndOnlyThose) {
  LabelSet set({{"b", "2"}, {"a", "1"}, {"d", "4"}, {"c", ""}});
  EXPECT_EQ(*set.Get("a"), "1");
  EXPECT_EQ(*set.Get("b"), "2");
  EXPECT_EQ(*set.Get("d"), "4");
  ASSERT_TRUE(set.Get("c").has_value());
  EXPECT_EQ(*set.Get("c"), "");
  EXPECT_FALSE(set.Get("").has_value());
  EXPECT_FALSE(set.Get("bb").has_value());
  EXPECT_FALSE(set.Get("e").has_value());
  EXPECT_FALSE(LabelSet().Get("a").has_value());
}

TEST(LabelSetTest, EmptySetIteratesNothing) {
  LabelSet set;
  EXPECT_TRUE(set.empty());
  EXPECT_EQ(set.begin(), set.end());
  EXPECT_EQ(set, LabelSet(std::vector<Label>{}));
}

TEST(LabelSetTest, EqualityComparesPairsNotIdentity) {
  LabelSet a({{"a", "1"}, {"b", "22"}});
  EXPECT_EQ(a, LabelSet({{"b", "22"}, {"a", "1"}}));
  // The same characters split differently are different sets.
  EXPECT_NE(a, LabelSet({{"a", "12"}, {"b", "2"}}));
  EXPECT_NE(a, LabelSet({{"a", "1"}, {"b", "23"}}));
  EXPECT_NE(a, LabelSet({{"a", "1"}}));
  EXPECT_NE(a, LabelSet());
}

// The block switches from 16-bit to 32-bit offsets above 65,535 characters; both widths, with
// names interned (only the values are in the block) or inline (a name too long to intern), and
// the sets on either side of the boundary, must read back and compare the same way.
TEST(LabelSetTest, SetsOnBothSidesOfTheOffsetWidthBoundaryReadBackExactly) {
  const std::string uninternable_name(LabelNames::kMaxNameChars + 1, 'n');
  for (const std::string& long_name : {std::string("long"), uninternable_name}) {
    // Characters in the block besides the long value: "1" and "2", plus every name if inline.
    const std::size_t other_chars = long_name == "long" ? 2 : 4 + long_name.size();
    for (std::size_t chars : {65'534u, 65'535u, 65'536u, 200'000u}) {
      SCOPED_TRACE(testing::Message() << long_name.size() << "-char name, " << chars);
      const std::string value(chars - other_chars, 'v');
      LabelSet set({{long_name, value}, {"b", "2"}, {"a", "1"}});
      EXPECT_EQ(*set.Get("a"), "1");
      EXPECT_EQ(*set.Get("b"), "2");
      EXPECT_EQ(*set.Get(long_name), value);
      EXPECT_FALSE(set.Get("m").has_value());
      EXPECT_EQ(set[2].name, long_name);
      EXPECT_EQ(set, LabelSet({{"a", "1"}, {"b", "2"}, {long_name, value}}));
      EXPECT_NE(set, LabelSet({{"a", "1"}, {"b", "2"}, {long_name, value + "w"}}));
      EXPECT_NE(set, LabelSet({{"a", "1"}, {"b", "2"}, {long_name, value.substr(1)}}));

      LabelSet changed = set;
      changed.Set("b", "");
      changed.RemoveEmptyValues();
      EXPECT_EQ(changed, LabelSet({{"a", "1"}, {long_name, value}}));
      EXPECT_EQ(*set.Get("b"), "2");
    }
  }
}

// Sets with interned names compare by list id, values and offsets: sets that differ only in a
// name, or in where the characters split between name and value, must still differ.
TEST(LabelSetTest, SetsDifferingOnlyInANameAreUnequal) {
  LabelSet a({{"alertname", "A"}, {"job", "x"}});
  EXPECT_EQ(a, LabelSet({{"job", "x"}, {"alertname", "A"}}));
  EXPECT_NE(a, LabelSet({{"alertname", "A"}, {"jobs", "x"}}));
  EXPECT_NE(a, LabelSet({{"alertname", "A"}, {"jo", "bx"}}));
  EXPECT_NE(a, LabelSet({{"alertnam", "eA"}, {"job", "x"}}));
}

TEST(LabelSetTest, MutatingACopyLeavesTheOriginalAlone) {
  LabelSet original({{"a", "1"}, {"b", ""}});
  LabelSet copy = original;
  copy.Set("a", "changed");
  copy.Set("c", "3");
  EXPECT_EQ(Pairs(original), (std::vector<std::string>{"a=1", "b="}));
  EXPECT_EQ(Pairs(copy), (std::vector<std::string>{"a=changed", "b=", "c=3"}));
  LabelSet trimmed = original;
  trimmed.RemoveEmptyValues();
  EXPECT_EQ(Pairs(trimmed), (std::vector<std::string>{"a=1"}));
  EXPECT_EQ(Pairs(original), (std::vector<std::string>{"a=1", "b="}));
}

TEST(LabelSetTest, SetFromItsOwnValueIsSafe) {
  LabelSet set({{"a", "some longer value than fits inline"}});
  const absl::string_view own = *set.Get("a");
  set.Set("b", own);  // `own` points into the block being replaced.
  EXPECT_EQ(*set.Get("b"), "some longer value than fits inline");
}

TEST(LabelSetTest, FromViewsCopiesTheCharacters) {
  std::string name = "instance", value = "host-1";
  std::vector<LabelView> views = {{name, value}, {"alertname", "Up"}};
  LabelSet set = LabelSet::FromViews(absl::MakeSpan(views));
  name.assign("xxxxxxxx");
  value.assign("yyyyyy");
  EXPECT_EQ(Pairs(set), (std::vector<std::string>{"alertname=Up", "instance=host-1"}));
}

TEST(LabelSetTest, MovedFromSetIsEmptyAndReusable) {
  LabelSet a({{"a", "1"}});
  LabelSet b = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): documented state
  a = b;
  EXPECT_EQ(a, b);
}

TEST(LabelSetTest, CopiesSharedAcrossThreadsStayIntact) {
  const LabelSet shared({{"alertname", "A"}, {"instance", "a host name longer than inline"}});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&shared] {
      for (int i = 0; i < 10000; ++i) {
        LabelSet copy = shared;
        LabelSet other = copy;
        copy = LabelSet();
        ASSERT_EQ(*other.Get("instance"), "a host name longer than inline");
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(*shared.Get("alertname"), "A");
}

}  // namespace
}  // namespace wecom_notify::alert
