#include "libs/alert/validate.h"

#include <gtest/gtest.h>

namespace wecom_notify::alert {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

Alert Normalized(LabelSet labels, LabelSet annotations = {}) {
  Alert a;
  a.labels = std::move(labels);
  a.annotations = std::move(annotations);
  Normalize(a, kNow, absl::Minutes(5));
  return a;
}

TEST(ValidateTest, LabelNamesFollowTheClassicRule) {
  EXPECT_TRUE(IsValidLabelName("alertname"));
  EXPECT_TRUE(IsValidLabelName("_x9"));
  EXPECT_FALSE(IsValidLabelName(""));
  EXPECT_FALSE(IsValidLabelName("0bad"));
  EXPECT_FALSE(IsValidLabelName("a-b"));
  EXPECT_FALSE(IsValidLabelName("名字"));
}

TEST(ValidateTest, AcceptsAWellFormedAlert) {
  EXPECT_EQ(ValidateAlert(Normalized(LabelSet({{"alertname", "磁盘满"}}))), std::nullopt);
}

TEST(ValidateTest, RejectsAlertWithoutLabels) {
  auto error = ValidateAlert(Normalized(LabelSet()));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->field, "labels");
  EXPECT_EQ(error->reason, "at least one label pair required");
  EXPECT_EQ(error->code, "no_labels");
}

TEST(ValidateTest, EmptyValuesAreDroppedBeforeValidation) {
  // {"y": ""} is removed, leaving no labels at all.
  auto error = ValidateAlert(Normalized(LabelSet({{"y", ""}})));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, "no_labels");
}

TEST(ValidateTest, NamesTheBadLabelInAlertmanagerWording) {
  auto error = ValidateAlert(Normalized(LabelSet({{"alertname", "x"}, {"0bad", "v"}})));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->field, "labels.0bad");
  EXPECT_EQ(error->reason, "invalid label set: invalid name \"0bad\"");
}

TEST(ValidateTest, AnnotationNamesFollowTheLabelRule) {
  auto error =
      ValidateAlert(Normalized(LabelSet({{"alertname", "x"}}), LabelSet({{"bad-name", "v"}})));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->field, "annotations.bad-name");
  EXPECT_EQ(error->reason, "invalid annotations: invalid name \"bad-name\"");
}

TEST(ValidateTest, RejectsInvalidUtf8Values) {
  auto error = ValidateAlert(Normalized(LabelSet({{"alertname", std::string("\xff\xfe")}})));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->field, "labels.alertname");
  EXPECT_EQ(error->code, "invalid_label");
}

TEST(ValidateTest, EndBeforeStartIsRejectedEqualIsNot) {
  Alert a;
  a.labels = LabelSet({{"alertname", "x"}});
  a.starts_at = kNow;
  a.ends_at = kNow - absl::Milliseconds(1);
  Normalize(a, kNow, absl::Minutes(5));
  auto error = ValidateAlert(a);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->reason, "start time must be before end time");

  a.ends_at = a.starts_at;
  EXPECT_EQ(ValidateAlert(a), std::nullopt);
}

}  // namespace
}  // namespace wecom_notify::alert
