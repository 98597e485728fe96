#include "libs/alert/label_set.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
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
    // Makes the list's first values ones the sets below never hold, so that all their
    // characters are in the block.
    LabelSet({{long_name, "first"}, {"b", "first"}, {"a", "first"}});
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

// Alerts of one rule repeat most values: a value the list's first set had under the same name
// is read from the list, and only the others' characters are in the block.
TEST(LabelSetTest, ValuesOfTheListsFirstSetAreNotStoredAgain) {
  const LabelSet first({{"fv_alertname", "Up"}, {"fv_instance", "host-1"}, {"fv_job", "node"}});
  const LabelSet second({{"fv_alertname", "Up"}, {"fv_instance", "host-2"}, {"fv_job", "node"}});
  EXPECT_EQ(Pairs(second),
            (std::vector<std::string>{"fv_alertname=Up", "fv_instance=host-2", "fv_job=node"}));
  EXPECT_EQ(*second.Get("fv_job"), "node");
  // The first block holds no value (the list has them all): a mask and the end offset. The
  // second holds "host-2" and its 2-byte offset.
  EXPECT_EQ(second.block_bytes(), first.block_bytes() + 2 + 6);
  EXPECT_EQ(second,
            LabelSet({{"fv_job", "node"}, {"fv_instance", "host-2"}, {"fv_alertname", "Up"}}));
  EXPECT_NE(second,
            LabelSet({{"fv_alertname", "Up"}, {"fv_instance", "host-2"}, {"fv_job", "nod"}}));
  EXPECT_NE(second,
            LabelSet({{"fv_alertname", "Up"}, {"fv_instance", "host-1"}, {"fv_job", "node"}}));
  // A value of the first set under another name is stored.
  const LabelSet swapped({{"fv_alertname", "node"}, {"fv_instance", "Up"}, {"fv_job", "Up"}});
  EXPECT_EQ(Pairs(swapped),
            (std::vector<std::string>{"fv_alertname=node", "fv_instance=Up", "fv_job=Up"}));
  // Every value held: no 4-byte mask, three offsets and their characters more.
  EXPECT_EQ(swapped.block_bytes(), first.block_bytes() - 4 + 3 * 2 + 4 + 2 + 2);

  LabelSet changed = second;
  changed.Set("fv_instance", "");
  changed.RemoveEmptyValues();
  EXPECT_EQ(Pairs(changed), (std::vector<std::string>{"fv_alertname=Up", "fv_job=node"}));
  EXPECT_EQ(Pairs(first),
            (std::vector<std::string>{"fv_alertname=Up", "fv_instance=host-1", "fv_job=node"}));
}

// An empty value is never taken from the list, and values beside it still are; in a block with
// 32-bit offsets too.
TEST(LabelSetTest, EmptyAndLongValuesBesideValuesFromTheList) {
  const std::string long_value(70'000, 'v');
  const LabelSet first({{"fe_a", ""}, {"fe_b", "b"}, {"fe_long", long_value}});
  EXPECT_EQ(Pairs(first)[0], "fe_a=");
  for (const std::string& value : {long_value, long_value + "w", std::string("short")}) {
    const LabelSet later({{"fe_a", ""}, {"fe_b", "b"}, {"fe_long", value}});
    EXPECT_EQ(*later.Get("fe_a"), "");
    EXPECT_EQ(*later.Get("fe_b"), "b");
    EXPECT_EQ(*later.Get("fe_long"), value);
    EXPECT_EQ(later, LabelSet({{"fe_long", value}, {"fe_b", "b"}, {"fe_a", ""}}));
    EXPECT_NE(later, LabelSet({{"fe_long", value}, {"fe_b", "c"}, {"fe_a", ""}}));
  }
}

// With more than 32 pairs the mask of values from the list is 8 bytes: values on both sides of
// bit 32 come from the list, or not, and read back at their own positions.
TEST(LabelSetTest, SetsOfManyPairsTakeValuesFromTheListAtEveryPosition) {
  auto make = [](const std::vector<int>& own) {
    std::vector<Label> labels;
    for (int i = 0; i < 40; ++i) {
      const bool differs = std::find(own.begin(), own.end(), i) != own.end();
      labels.push_back({absl::StrCat("many_", absl::Dec(i, absl::kZeroPad2)),
                        absl::StrCat(differs ? "own-" : "v", i)});
    }
    return LabelSet(std::move(labels));
  };
  const LabelSet first = make({});
  for (const std::vector<int>& own : std::vector<std::vector<int>>{
           {}, {0}, {5, 31}, {32}, {33, 39}, {0, 31, 32, 39}, {1, 2, 3, 34, 35, 36}}) {
    const LabelSet set = make(own);
    ASSERT_EQ(set.size(), 40u);
    for (int i = 0; i < 40; ++i) {
      const bool differs = std::find(own.begin(), own.end(), i) != own.end();
      EXPECT_EQ(set[i].value, absl::StrCat(differs ? "own-" : "v", i)) << i;
      EXPECT_EQ(*set.Get(absl::StrCat("many_", absl::Dec(i, absl::kZeroPad2))), set[i].value);
    }
    EXPECT_EQ(set, make(own));
    EXPECT_EQ(set == first, own.empty());
  }
}

// Threads building sets of one new list at once: whichever set made the list, every set reads
// back its own values.
TEST(LabelSetTest, ThreadsBuildingSetsOfANewListReadBackTheirOwnValues) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string mine = std::to_string(t * 10000 + i % 3);
        const LabelSet set({{"race_shared", "same"}, {"race_own", mine}});
        ASSERT_EQ(*set.Get("race_own"), mine);
        ASSERT_EQ(*set.Get("race_shared"), "same");
        ASSERT_EQ(set, LabelSet({{"race_own", mine}, {"race_shared", "same"}}));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
}

}  // namespace
}  // namespace wecom_notify::alert
