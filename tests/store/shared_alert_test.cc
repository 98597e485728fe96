#include "libs/store/shared_alert.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/storage/storage_test_util.h"

namespace wecom_notify::store {
namespace {

alert::Alert Sample(const std::string& instance = "db-1") {
  alert::Alert a;
  a.labels = alert::LabelSet({{"alertname", "A"}, {"instance", instance}});
  a.annotations = alert::LabelSet({{"summary", "disk full"}});
  a.generator_url = "http://prometheus:9090/graph?g0.expr=up";
  alert::Normalize(a, absl::FromUnixSeconds(1'700'000'000), absl::Minutes(5));
  return a;
}

TEST(SharedAlertTest, CopiesShareOneVersionAndANewOneIsAnother) {
  const alert::Alert a = Sample();
  const SharedAlert version(a);
  const SharedAlert copy = version;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_EQ(copy, version);
  EXPECT_EQ(&*copy, &*version);
  EXPECT_NE(SharedAlert(a), version);  // equal content, another version
  // Every field but the annotations, which versions do not carry.
  EXPECT_TRUE(copy->ToAlert().annotations.empty());
  alert::Alert without_annotations = a;
  without_annotations.annotations = alert::LabelSet();
  EXPECT_TRUE(storage::testing::SameAlert(copy->ToAlert(), without_annotations));
  EXPECT_EQ(copy->fingerprint, a.fingerprint);
  EXPECT_TRUE(a.ends_at_from_timeout);  // the sample carries the flag too
}

TEST(SharedAlertTest, AMovedFromOrDefaultHandleHoldsNothing) {
  EXPECT_FALSE(SharedAlert());
  SharedAlert version(Sample());
  SharedAlert moved = std::move(version);
  EXPECT_FALSE(version);  // NOLINT(bugprone-use-after-move): the documented moved-from state
  EXPECT_TRUE(moved);
  moved = SharedAlert();
  EXPECT_FALSE(moved);
}

TEST(SharedAlertSetTest, HoldsOneVersionPerFingerprint) {
  SharedAlertSet set;
  std::vector<SharedAlert> versions;
  for (int i = 0; i < 1000; ++i) versions.emplace_back(Sample(absl::StrCat("db-", i)));
  for (const SharedAlert& version : versions) set.Put(version);
  ASSERT_EQ(set.size(), versions.size());
  for (const SharedAlert& version : versions) {
    const SharedAlert* found = set.Find(version->fingerprint);
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(*found, version);
  }
  EXPECT_EQ(set.Find(Sample("elsewhere").fingerprint), nullptr);

  const SharedAlert newer(Sample("db-7"));
  set.Put(newer);  // replaces the version of its fingerprint
  EXPECT_EQ(set.size(), versions.size());
  EXPECT_EQ(*set.Find(newer->fingerprint), newer);

  set.Erase(newer->fingerprint);
  EXPECT_EQ(set.Find(newer->fingerprint), nullptr);
  set.EraseIf([&](const SharedAlert& held) { return held == versions[3]; });
  EXPECT_EQ(set.Find(versions[3]->fingerprint), nullptr);
  std::size_t seen = 0;
  for (const SharedAlert& held : set) seen += held ? 1 : 0;
  EXPECT_EQ(seen, versions.size() - 2);
}

TEST(SharedAlertSetTest, UpdateSeesTheHeldVersionAndKeepsWhatItMakes) {
  SharedAlertSet set;
  const alert::Alert a = Sample();
  SharedAlert seen_first;
  const SharedAlert& first = set.Update(a.fingerprint, [&](const SharedAlert& held) {
    seen_first = held;
    return SharedAlert(a);
  });
  EXPECT_FALSE(seen_first);  // nothing held yet
  const SharedAlert kept_first = first;
  SharedAlert seen_second;
  const SharedAlert& second = set.Update(a.fingerprint, [&](const SharedAlert& held) {
    seen_second = held;
    return SharedAlert(a);
  });
  EXPECT_EQ(seen_second, kept_first);
  EXPECT_NE(second, kept_first);
  EXPECT_EQ(*set.Find(a.fingerprint), second);
  EXPECT_EQ(set.size(), 1u);
}

}  // namespace
}  // namespace wecom_notify::store
