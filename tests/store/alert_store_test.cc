#include "libs/store/alert_store.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/alert/fingerprint.h"
#include "libs/common/clock.h"

namespace wecom_notify::store {
namespace {

class AlertStoreTest : public ::testing::Test {
 protected:
  alert::Alert Post(std::vector<alert::Label> labels, absl::Time ends_at = absl::InfinitePast()) {
    alert::Alert a;
    a.labels = alert::LabelSet(std::move(labels));
    a.ends_at = ends_at;
    alert::Normalize(a, clock_.Now(), absl::Minutes(5));
    store_.Put({a}, clock_.Now());
    return a;
  }

  std::vector<alert::Alert> List(StateFilter state = StateFilter::kAll,
                                 std::vector<alert::Matcher> matchers = {}) {
    return store_.List(matchers, state, clock_.Now());
  }

  SimulatedClock clock_;
  AlertStore store_;
};

TEST_F(AlertStoreTest, SameLabelsAreOneAlert) {
  Post({{"alertname", "A"}});
  clock_.Advance(absl::Seconds(5));
  Post({{"alertname", "A"}});
  Post({{"alertname", "B"}});
  EXPECT_EQ(store_.size(), 2u);
}

TEST_F(AlertStoreTest, RepostExtendsTheResolveTime) {
  const absl::Time first = clock_.Now();
  alert::Alert a = Post({{"alertname", "A"}});
  clock_.Advance(absl::Minutes(4));
  Post({{"alertname", "A"}});
  clock_.Advance(absl::Minutes(2));  // 6 min after the first post, 2 after the second
  auto firing = List(StateFilter::kFiring);
  ASSERT_EQ(firing.size(), 1u);
  EXPECT_EQ(firing[0].starts_at, first);
}

TEST_F(AlertStoreTest, AlertResolvesWhenEndsAtPasses) {
  Post({{"alertname", "A"}});
  clock_.Advance(absl::Minutes(5) - absl::Milliseconds(1));
  EXPECT_EQ(List(StateFilter::kFiring).size(), 1u);
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_EQ(List(StateFilter::kFiring).size(), 0u);
  EXPECT_EQ(List(StateFilter::kResolved).size(), 1u);
}

TEST_F(AlertStoreTest, ListFiltersByMatchersAndSortsByFingerprint) {
  for (int i = 0; i < 20; ++i) Post({{"alertname", "A"}, {"i", std::to_string(i)}});
  Post({{"alertname", "B"}});
  auto only_a = List(StateFilter::kAll, {*alert::Matcher::Parse("alertname=A")});
  ASSERT_EQ(only_a.size(), 20u);
  for (std::size_t i = 1; i < only_a.size(); ++i) {
    EXPECT_LT(only_a[i - 1].fingerprint, only_a[i].fingerprint);
  }
}

TEST_F(AlertStoreTest, CollectResolvedForgetsOnlyResolvedAlerts) {
  Post({{"alertname", "Gone"}}, clock_.Now());
  Post({{"alertname", "Firing"}});
  EXPECT_EQ(store_.CollectResolved(clock_.Now()).size(), 1u);
  EXPECT_EQ(store_.size(), 1u);
}

TEST_F(AlertStoreTest, GetReturnsEveryFieldAsPut) {
  alert::Alert a;
  a.labels = alert::LabelSet({{"alertname", "A"}, {"instance", "db-1"}});
  a.annotations = alert::LabelSet({{"summary", "disk full"}});
  a.generator_url = "http://prometheus:9090/graph?g0.expr=up";
  a.starts_at = absl::FromUnixNanos(1764936000123456789);
  a.ends_at = absl::FromCivil(absl::CivilSecond(9999, 12, 31, 0, 0, 0), absl::UTCTimeZone());
  a.ends_at_from_timeout = false;
  alert::Normalize(a, clock_.Now(), absl::Minutes(5));
  const std::vector<alert::Alert> stored = store_.Put({a}, clock_.Now());
  for (const alert::Alert& got : {stored.at(0), *store_.Get(a.fingerprint), List().at(0)}) {
    EXPECT_EQ(got.labels, a.labels);
    EXPECT_EQ(got.annotations, a.annotations);
    EXPECT_EQ(got.generator_url, a.generator_url);
    EXPECT_EQ(got.starts_at, a.starts_at);
    EXPECT_EQ(got.ends_at, a.ends_at);
    EXPECT_EQ(got.updated_at, clock_.Now());
    EXPECT_EQ(got.fingerprint, a.fingerprint);
    EXPECT_FALSE(got.ends_at_from_timeout);
  }
}

// The versions Put hands out are the store's own, and a held version never changes: a group
// holding one keeps the alert as it was given (the durable one) while the store moves on.
// Versions carry no annotations; the store keeps them aside (Annotations::kHeld).
TEST_F(AlertStoreTest, PutHandsOutItsVersionsAndARepostLeavesThemAsTheyWere) {
  alert::Alert a;
  a.labels = alert::LabelSet({{"alertname", "A"}});
  a.annotations = alert::LabelSet({{"summary", "first"}});
  a.generator_url = "http://prometheus/first";
  alert::Normalize(a, clock_.Now(), absl::Minutes(5));
  std::vector<SharedAlert> first;
  store_.Put({a}, clock_.Now(), &first);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0]->fingerprint, a.fingerprint);
  EXPECT_TRUE(first[0]->ToAlert().annotations.empty());

  a.annotations = alert::LabelSet({{"summary", "second"}});
  a.generator_url = "http://prometheus/second";
  std::vector<SharedAlert> second;
  const std::vector<alert::Alert> stored = store_.Put({a}, clock_.Now(), &second);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_NE(second[0], first[0]);
  EXPECT_EQ(first[0]->generator_url.view(), "http://prometheus/first");
  EXPECT_EQ(second[0]->generator_url.view(), "http://prometheus/second");
  EXPECT_EQ(*store_.Get(a.fingerprint)->annotations.Get("summary"), "second");
  EXPECT_EQ(*stored.at(0).annotations.Get("summary"), "second");
  // What Put returns and what it hands out are the same merged alert.
  const alert::Alert handed_out = second[0]->ToAlert();
  EXPECT_EQ(handed_out.starts_at, stored.at(0).starts_at);
  EXPECT_EQ(handed_out.updated_at, stored.at(0).updated_at);

  // Resolved by its timeout and collected, the alert leaves the store, its annotations with
  // it; the version handed out stays whole.
  clock_.Advance(absl::Hours(1));
  ASSERT_EQ(store_.CollectResolved(clock_.Now()).size(), 1u);
  EXPECT_EQ(store_.Get(a.fingerprint), std::nullopt);
  alert::Alert read = handed_out;
  ASSERT_TRUE(store_.ReadAnnotations(absl::MakeSpan(&read, 1)).ok());
  EXPECT_TRUE(read.annotations.empty());
  EXPECT_EQ(second[0]->generator_url.view(), "http://prometheus/second");
}

// Annotations::kHeld: what the store keeps aside serves ReadAnnotations by fingerprint — the
// latest posted, or none for an alert not held — and Merge keeps the held ones when the held
// alert's content wins (a post stamped earlier, after the clock stepped back).
TEST(AlertStoreHoldingAnnotationsTest, ReadAnnotationsServesTheLatestKeptAside) {
  AlertStore store;
  const absl::Time later = absl::FromUnixSeconds(1'764'046'800);
  alert::Alert a;
  a.labels = alert::LabelSet({{"alertname", "A"}});
  a.annotations = alert::LabelSet({{"summary", "stamped later"}});
  alert::Normalize(a, later, absl::Minutes(5));
  store.Put({a}, later);
  alert::Alert earlier;
  earlier.labels = a.labels;
  earlier.annotations = alert::LabelSet({{"summary", "stamped earlier"}});
  alert::Normalize(earlier, later - absl::Seconds(10), absl::Minutes(5));
  const std::vector<alert::Alert> stored = store.Put({earlier}, later - absl::Seconds(10));
  EXPECT_EQ(stored.at(0).annotations, a.annotations);  // the held alert's content won

  alert::Alert unknown;
  unknown.labels = alert::LabelSet({{"alertname", "Unknown"}});
  unknown.annotations = alert::LabelSet({{"summary", "not held"}});
  unknown.fingerprint = alert::Fingerprint(unknown.labels);
  std::vector<alert::Alert> read = {a, unknown};
  read[0].annotations = alert::LabelSet();
  ASSERT_TRUE(store.ReadAnnotations(absl::MakeSpan(read)).ok());
  EXPECT_EQ(read[0].annotations, a.annotations);
  EXPECT_TRUE(read[1].annotations.empty());
}

// With Annotations::kDropped (a durable store keeps them) nothing held has annotations, but
// what Put returns — what the caller writes durably — has the posted ones.
TEST(AlertStoreDroppingAnnotationsTest, HoldsNoneAndReturnsThePostedOnes) {
  AlertStore store(Annotations::kDropped);
  const absl::Time later = absl::FromUnixSeconds(1'764'046'800);
  alert::Alert a;
  a.labels = alert::LabelSet({{"alertname", "A"}});
  a.annotations = alert::LabelSet({{"summary", "stamped later"}});
  alert::Normalize(a, later, absl::Minutes(5));
  std::vector<alert::Alert> stored = store.Put({a}, later);
  EXPECT_EQ(stored.at(0).annotations, a.annotations);
  EXPECT_TRUE(store.Get(a.fingerprint)->annotations.empty());
  EXPECT_TRUE(store.List({}, StateFilter::kAll, later).at(0).annotations.empty());

  // A re-post stamped 10 s earlier (the clock stepped back): Merge keeps the held alert's
  // content, which has no annotations here — the posted ones are returned instead of none.
  alert::Alert earlier;
  earlier.labels = a.labels;
  earlier.annotations = alert::LabelSet({{"summary", "stamped earlier"}});
  alert::Normalize(earlier, later - absl::Seconds(10), absl::Minutes(5));
  stored = store.Put({earlier}, later - absl::Seconds(10));
  EXPECT_EQ(stored.at(0).updated_at, later);  // the held alert's content
  EXPECT_EQ(stored.at(0).annotations, earlier.annotations);
  EXPECT_TRUE(store.Get(a.fingerprint)->annotations.empty());
  EXPECT_EQ(store.ReadAnnotations(absl::MakeSpan(stored)).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(AlertStoreTest, AlertsWithTheSameUrlShareOneCopyAcrossPuts) {
  auto put = [&](absl::string_view instance) {
    alert::Alert a;
    a.labels = alert::LabelSet({{"alertname", "A"}, {"instance", std::string(instance)}});
    a.generator_url = std::string("http://prometheus:9090/graph?g0.expr=up");
    alert::Normalize(a, clock_.Now(), absl::Minutes(5));
    return store_.Put({a}, clock_.Now()).at(0);
  };
  std::vector<alert::Alert> held;
  for (int i = 0; i < 64; ++i) held.push_back(put(absl::StrCat("db-", i)));
  int shared = 0;
  for (int i = 1; i < 64; ++i) {
    for (int j = 0; j < i; ++j) {
      if (held[i].generator_url.view().data() == held[j].generator_url.view().data()) {
        ++shared;
        break;
      }
    }
  }
  // 64 alerts in 16 shards: at least 64 - 16 of them reuse a block already held.
  EXPECT_GE(shared, 48);
  for (const alert::Alert& a : held) {
    EXPECT_EQ(store_.Get(a.fingerprint)->generator_url.view().data(),
              a.generator_url.view().data());
  }
}

// One call's alerts fall into every shard: they must come back in input order, and repeats of a
// fingerprint merge in the order given.
TEST_F(AlertStoreTest, OneCallSpreadOverShardsKeepsInputOrderAndMergesRepeatsInOrder) {
  auto make = [this](int i, const std::string& summary) {
    alert::Alert a;
    a.labels = alert::LabelSet({{"alertname", "Spread"}, {"i", std::to_string(i)}});
    a.annotations = alert::LabelSet({{"summary", summary}});
    alert::Normalize(a, clock_.Now(), absl::Minutes(5));
    return a;
  };
  std::vector<alert::Alert> batch;
  batch.push_back(make(0, "first"));
  for (int i = 1; i < 200; ++i) batch.push_back(make(i, "only"));
  batch.push_back(make(0, "second"));
  std::vector<uint64_t> fingerprints;
  for (const alert::Alert& a : batch) fingerprints.push_back(a.fingerprint);

  const std::vector<alert::Alert> stored = store_.Put(batch, clock_.Now());
  ASSERT_EQ(stored.size(), batch.size());
  for (std::size_t i = 0; i < stored.size(); ++i) EXPECT_EQ(stored[i].fingerprint, fingerprints[i]);
  EXPECT_EQ(*stored.front().annotations.Get("summary"), "first");
  EXPECT_EQ(*stored.back().annotations.Get("summary"), "second");
  EXPECT_EQ(store_.size(), 200u);
  EXPECT_EQ(*store_.Get(fingerprints[0])->annotations.Get("summary"), "second");
  EXPECT_EQ(*store_.Get(fingerprints[199])->annotations.Get("summary"), "only");
}

TEST_F(AlertStoreTest, ConcurrentPutsLoseNothing) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < 500; ++i) {
        alert::Alert a;
        a.labels = alert::LabelSet({{"alertname", "T"}, {"t", std::to_string(t)}, {"i", std::to_string(i)}});
        alert::Normalize(a, clock_.Now(), absl::Minutes(5));
        store_.Put({a}, clock_.Now());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(store_.size(), 2000u);
}

}  // namespace
}  // namespace wecom_notify::store
