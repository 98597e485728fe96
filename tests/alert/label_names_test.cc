#include "libs/alert/label_names.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/alert/label_set.h"

namespace wecom_notify::alert {
namespace {

// Label views with the given names (values are irrelevant to interning).
std::vector<LabelView> Named(const std::vector<std::string>& names) {
  std::vector<LabelView> labels;
  for (const std::string& name : names) labels.push_back(LabelView{name, "value"});
  return labels;
}

std::vector<std::string> NamesOf(const NameList& list) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < list.size(); ++i) names.emplace_back(list[i]);
  return names;
}

TEST(LabelNamesTest, SameNamesGiveTheSameIdAndOthersAnother) {
  const std::vector<std::string> names = {"alertname", "instance", "job"};
  const std::optional<uint32_t> id = LabelNames::Intern(Named(names));
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(LabelNames::Intern(Named(names)), id);
  EXPECT_EQ(NamesOf(LabelNames::Get(*id)), names);

  const std::optional<uint32_t> fewer = LabelNames::Intern(Named({"alertname", "instance"}));
  ASSERT_TRUE(fewer.has_value());
  EXPECT_NE(fewer, id);
  // The same characters split into other names are another list.
  const std::optional<uint32_t> joined = LabelNames::Intern(Named({"alertnameinstance", "job"}));
  ASSERT_TRUE(joined.has_value());
  EXPECT_NE(joined, id);
  EXPECT_NE(joined, fewer);
  EXPECT_EQ(NamesOf(LabelNames::Get(*joined)),
            (std::vector<std::string>{"alertnameinstance", "job"}));
}

// More lists than the per-thread cache of recent lists, looked up in turn: every lookup must
// still find its own list.
TEST(LabelNamesTest, AlternatingListsKeepTheirIds) {
  std::vector<std::vector<std::string>> lists;
  for (int i = 0; i < 9; ++i) lists.push_back({absl::StrCat("alternating_", i), "job"});
  std::vector<uint32_t> ids;
  for (const auto& names : lists) ids.push_back(*LabelNames::Intern(Named(names)));
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < lists.size(); ++i) {
      EXPECT_EQ(LabelNames::Intern(Named(lists[i])), ids[i]);
    }
  }
}

TEST(LabelNamesTest, ListsBeyondTheBoundsAreNotInterned) {
  EXPECT_EQ(LabelNames::Intern({}), std::nullopt);

  std::vector<std::string> many;
  for (std::size_t i = 0; i <= LabelNames::kMaxNames; ++i) many.push_back(absl::StrCat("n", i));
  EXPECT_EQ(LabelNames::Intern(Named(many)), std::nullopt);
  many.pop_back();
  EXPECT_TRUE(LabelNames::Intern(Named(many)).has_value());

  EXPECT_EQ(LabelNames::Intern(Named({std::string(LabelNames::kMaxNameChars + 1, 'x')})),
            std::nullopt);
  EXPECT_TRUE(LabelNames::Intern(Named({std::string(LabelNames::kMaxNameChars, 'x')})));
}

TEST(LabelNamesTest, ThreadsInterningTheSameNamesAgreeOnTheId) {
  constexpr int kThreads = 4;
  std::vector<std::optional<uint32_t>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&ids, t] {
      for (int i = 0; i < 200; ++i) {
        ids[t] = LabelNames::Intern(Named({"racing", absl::StrCat("name_", i)}));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_TRUE(ids[t].has_value());
    EXPECT_EQ(ids[t], ids[0]);
  }
  EXPECT_EQ(NamesOf(LabelNames::Get(*ids[0])), (std::vector<std::string>{"racing", "name_199"}));
}

// A list keeps its first set's values, in name order, while they fit within kMaxValueChars;
// a later set with other values changes nothing.
TEST(LabelNamesTest, AListKeepsItsFirstSetsValuesWithinTheBound) {
  const std::string a(1000, 'a'), b(100, 'b'), c(LabelNames::kMaxValueChars - 1000, 'c');
  const std::vector<LabelView> first = {{"kept_a", a}, {"kept_b", b}, {"kept_c", c}};
  const std::optional<uint32_t> id = LabelNames::Intern(first);
  ASSERT_TRUE(id.has_value());
  const std::vector<LabelView> later = {{"kept_a", "x"}, {"kept_b", "y"}, {"kept_c", "z"}};
  EXPECT_EQ(LabelNames::Intern(later), id);
  const NameList& list = LabelNames::Get(*id);
  EXPECT_EQ(list.first_value(0), a);
  EXPECT_EQ(list.first_value(1), "");  // beyond the bound after `a`
  EXPECT_EQ(list.first_value(2), c);   // exactly fills it
  EXPECT_EQ(list[1], "kept_b");
}

// Once the table is full, label sets with new names keep them inline: they still read back and
// compare exactly, and lists interned before still resolve.
TEST(LabelNamesTest, SetsWithNewNamesWorkAfterTheTableIsFull) {
  const LabelSet before({{"before_full", "1"}, {"job", "x"}});
  for (uint32_t i = 0; i <= LabelNames::kCapacity; ++i) {
    if (!LabelNames::Intern(Named({absl::StrCat("filler_", i)})).has_value()) break;
  }
  ASSERT_EQ(LabelNames::size(), LabelNames::kCapacity);
  EXPECT_EQ(LabelNames::Intern(Named({"after_full"})), std::nullopt);

  const LabelSet after({{"job", "x"}, {"after_full", "2"}});
  EXPECT_EQ(*after.Get("after_full"), "2");
  EXPECT_EQ(*after.Get("job"), "x");
  EXPECT_EQ(after, LabelSet({{"after_full", "2"}, {"job", "x"}}));
  EXPECT_NE(after, LabelSet({{"after_full", "3"}, {"job", "x"}}));
  EXPECT_EQ(before, LabelSet({{"job", "x"}, {"before_full", "1"}}));
  EXPECT_EQ(before[0].name, "before_full");
}

}  // namespace
}  // namespace wecom_notify::alert
