#include "libs/store/shared_alert.h"

#include <gtest/gtest.h>

#include <thread>
#include <utility>
#include <vector>

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

// The count is exact under concurrent copies: the threads' copies keep the version after the
// maker's handle is gone, and the last one frees it (ASan reports a use after free, or a leak,
// if the count is off).
TEST(SharedAlertTest, CopiesMayBeMadeAndDroppedOnAnyThread) {
  SharedAlert version(Sample());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([mine = version] {
      std::size_t labels = 0;
      for (int i = 0; i < 10'000; ++i) {
        const SharedAlert again = mine;
        labels += again->labels.size();
      }
      EXPECT_EQ(labels, 20'000u);
    });
  }
  version = SharedAlert();
  for (std::thread& t : threads) t.join();
}

}  // namespace
}  // namespace wecom_notify::store
