#include "libs/store/shared_alert.h"

#include <gtest/gtest.h>

#include <utility>

#include "tests/storage/storage_test_util.h"

namespace wecom_notify::store {
namespace {

alert::Alert Sample() {
  alert::Alert a;
  a.labels = alert::LabelSet({{"alertname", "A"}, {"instance", "db-1"}});
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
  EXPECT_TRUE(storage::testing::SameAlert(copy->ToAlert(a.fingerprint), a));
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

}  // namespace
}  // namespace wecom_notify::store
