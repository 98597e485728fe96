// File: tests/storage/storage_test_util.h
//
// Alerts and comparisons shared by the storage tests.

#ifndef WECOM_NOTIFY_TESTS_STORAGE_STORAGE_TEST_UTIL_H_
#define WECOM_NOTIFY_TESTS_STORAGE_STORAGE_TEST_UTIL_H_

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "libs/alert/alert.h"
#include "libs/alert/fingerprint.h"

namespace wecom_notify::storage::testing {

// A firing alert with Chinese text whose labels (and so fingerprint) depend on `id`.
inline alert::Alert MakeAlert(const std::string& id) {
  alert::Alert alert;
  alert.labels = alert::LabelSet({{"alertname", "磁盘已满"},
                                  {"id", id},
                                  {"instance", "主机-01:9100"},
                                  {"severity", "严重"}});
  alert.annotations = alert::LabelSet({{"summary", absl::StrCat("磁盘 /data 使用率 97% (", id, ")")},
                                       {"runbook", "https://wiki.example/磁盘"}});
  alert.starts_at = absl::FromUnixNanos(1'764'046'756'576'493'259);
  alert.updated_at = absl::FromUnixNanos(1'764'046'760'000'000'001);
  alert.generator_url = "http://prometheus.example/graph?g0.expr=disk";
  alert.fingerprint = alert::Fingerprint(alert.labels);
  return alert;
}

inline void SortByFingerprint(std::vector<alert::Alert>& alerts) {
  std::sort(alerts.begin(), alerts.end(),
            [](const alert::Alert& a, const alert::Alert& b) { return a.fingerprint < b.fingerprint; });
}

inline ::testing::AssertionResult SameAlert(const alert::Alert& a, const alert::Alert& b) {
  auto differs = [&](const char* field) {
    return ::testing::AssertionFailure()
           << "alert " << alert::FingerprintToHex(a.fingerprint) << " differs in " << field;
  };
  if (a.fingerprint != b.fingerprint) return differs("fingerprint");
  if (a.labels != b.labels) return differs("labels");
  if (a.annotations != b.annotations) return differs("annotations");
  if (a.starts_at != b.starts_at) return differs("starts_at");
  if (a.ends_at != b.ends_at) return differs("ends_at");
  if (a.updated_at != b.updated_at) return differs("updated_at");
  if (a.generator_url != b.generator_url) return differs("generator_url");
  if (a.ends_at_from_timeout != b.ends_at_from_timeout) return differs("ends_at_from_timeout");
  return ::testing::AssertionSuccess();
}

inline void ExpectSameAlerts(std::vector<alert::Alert> actual, std::vector<alert::Alert> expected) {
  SortByFingerprint(actual);
  SortByFingerprint(expected);
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) EXPECT_TRUE(SameAlert(actual[i], expected[i]));
}

}  // namespace wecom_notify::storage::testing

#endif  // WECOM_NOTIFY_TESTS_STORAGE_STORAGE_TEST_UTIL_H_
