#include "libs/alert/shared_text.h"

#include <gtest/gtest.h>

#include <string>

namespace wecom_notify::alert {
namespace {

TEST(SharedTextTest, EmptyByDefaultAndFromEmptyString) {
  EXPECT_TRUE(SharedText().empty());
  EXPECT_TRUE(SharedText("").empty());
  EXPECT_EQ(SharedText(), "");
}

TEST(SharedTextTest, CopiesShareTheCharactersAndOutliveTheOriginal) {
  SharedText copy;
  const char* block = nullptr;
  {
    SharedText original(std::string("http://prometheus:9090/graph?g0.expr=up"));
    block = original.view().data();
    copy = original;
  }
  EXPECT_EQ(copy.view().data(), block);
  EXPECT_EQ(copy, "http://prometheus:9090/graph?g0.expr=up");
  EXPECT_EQ(copy.size(), 39u);
}

TEST(SharedTextTest, EqualTextInSeparateBlocksIsEqual) {
  SharedText a("http://a/graph"), b("http://a/graph"), c("http://b/graph");
  EXPECT_NE(a.view().data(), b.view().data());
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(SharedTextTest, ShareIfEqualTakesTheOtherBlockOnlyForTheSameText) {
  SharedText kept("http://a/graph"), incoming("http://a/graph"), other("http://b/graph");
  incoming.ShareIfEqual(kept);
  EXPECT_EQ(incoming.view().data(), kept.view().data());
  other.ShareIfEqual(kept);
  EXPECT_EQ(other, "http://b/graph");
  EXPECT_NE(other.view().data(), kept.view().data());
}

TEST(SharedTextTest, MoveLeavesTheSourceEmpty) {
  SharedText a("http://a/graph");
  SharedText b(std::move(a));
  EXPECT_EQ(b, "http://a/graph");
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): moved-from state is specified
  a = std::move(b);
  EXPECT_EQ(a, "http://a/graph");
}

}  // namespace
}  // namespace wecom_notify::alert
