#include "libs/nflog/notification_log.h"

#include <gtest/gtest.h>

namespace wecom_notify::nflog {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);
const absl::Duration kRepeat = absl::Hours(12);

Entry Sent(std::vector<uint64_t> firing, std::vector<uint64_t> resolved,
           absl::Time at = kNow - absl::Minutes(5)) {
  return Entry{Key{"{}:{}", "ops", "wecom_app/0"}, at, std::move(firing), std::move(resolved),
               at + 2 * kRepeat};
}

std::optional<Reason> Decide(const Entry* entry, std::vector<uint64_t> firing,
                             std::vector<uint64_t> resolved, bool send_resolved = true,
                             absl::Time now = kNow) {
  return NeedsUpdate(entry, firing, resolved, send_resolved, kRepeat, now);
}

// Each row of Alertmanager's decision table, in its order.
TEST(NeedsUpdateTest, NoEntryWithFiringAlertsIsAFirstNotification) {
  EXPECT_EQ(Decide(nullptr, {1}, {}), Reason::kFirstNotification);
}

TEST(NeedsUpdateTest, NoEntryWithOnlyResolvedAlertsIsSuppressed) {
  EXPECT_EQ(Decide(nullptr, {}, {1}), std::nullopt);
}

TEST(NeedsUpdateTest, NewFiringAlertNotifies) {
  Entry e = Sent({1}, {});
  EXPECT_EQ(Decide(&e, {1, 2}, {}), Reason::kNewAlertsAdded);
  Entry empty = Sent({}, {1});
  EXPECT_EQ(Decide(&empty, {2}, {}), Reason::kFirstNotification);
}

TEST(NeedsUpdateTest, AllResolvedNotifiesEvenWithoutSendResolved) {
  Entry e = Sent({1}, {});
  EXPECT_EQ(Decide(&e, {}, {1}, /*send_resolved=*/false), Reason::kAllAlertsResolved);
  Entry none = Sent({}, {1});
  EXPECT_EQ(Decide(&none, {}, {1}), std::nullopt);
}

TEST(NeedsUpdateTest, SomeResolvedNotifiesOnlyWithSendResolved) {
  Entry e = Sent({1, 2}, {});
  EXPECT_EQ(Decide(&e, {1}, {2}, true), Reason::kSomeAlertsResolved);
  EXPECT_EQ(Decide(&e, {1}, {2}, false), std::nullopt);
  Entry told = Sent({1}, {2});
  EXPECT_EQ(Decide(&told, {1}, {2}, true), std::nullopt);
}

TEST(NeedsUpdateTest, RepeatOnlyAfterRepeatInterval) {
  Entry e = Sent({1}, {}, kNow - kRepeat);
  EXPECT_EQ(Decide(&e, {1}, {}), std::nullopt);  // exactly repeat_interval ago: not yet
  EXPECT_EQ(Decide(&e, {1}, {}, true, kNow + absl::Milliseconds(1)),
            Reason::kRepeatIntervalElapsed);
}

TEST(NotificationLogTest, KeepsTheNewestAndExpires) {
  NotificationLog log;
  log.Record(Sent({1}, {}, kNow));
  log.Record(Sent({2}, {}, kNow - absl::Minutes(1)));  // older: ignored
  const Entry* e = log.Find(Key{"{}:{}", "ops", "wecom_app/0"}, kNow);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->firing, std::vector<uint64_t>{1});
  EXPECT_EQ(log.Find(Key{"{}:{}", "ops", "wecom_app/0"}, kNow + 2 * kRepeat), nullptr);
  EXPECT_EQ(log.CollectExpired(kNow + 2 * kRepeat), 1u);
  EXPECT_EQ(log.size(), 0u);
}

}  // namespace
}  // namespace wecom_notify::nflog
