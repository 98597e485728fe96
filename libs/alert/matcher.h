// File: libs/alert/matcher.h
//
// A label matcher with Alertmanager's meaning: `=`, `!=`, `=~`, `!~`; regexes are RE2, anchored
// at both ends (`^(?:re)$`). A missing label matches as the empty string, so `foo=""` matches
// alerts without `foo` and `foo!=""` those that have it.

#ifndef WECOM_NOTIFY_LIBS_ALERT_MATCHER_H_
#define WECOM_NOTIFY_LIBS_ALERT_MATCHER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/alert/label_set.h"

namespace re2 {
class RE2;
}

namespace wecom_notify::alert {

class Matcher {
 public:
  enum class Type { kEqual, kNotEqual, kRegex, kNotRegex };

  // Create()
  //
  // Errors: InvalidArgument naming the matcher when `name` is empty or the regex does not
  // compile.
  static absl::StatusOr<Matcher> Create(std::string name, Type type, std::string value);

  // Parse()
  //
  // Parses the text form `name<op>value` (`alertname="Disk Full"`, `severity=~"crit.*"`, or
  // unquoted values as amtool and Alertmanager's `filter` parameter accept them).
  static absl::StatusOr<Matcher> Parse(absl::string_view text);

  bool Matches(const LabelSet& labels) const;

  const std::string& name() const { return name_; }
  Type type() const { return type_; }
  const std::string& value() const { return value_; }

 private:
  Matcher(std::string name, Type type, std::string value, std::shared_ptr<const re2::RE2> regex);

  std::string name_;
  Type type_;
  std::string value_;
  std::shared_ptr<const re2::RE2> regex_;  // set for kRegex and kNotRegex; shared by copies
};

// True iff every matcher matches `labels` (an empty list matches everything).
bool MatchesAll(const std::vector<Matcher>& matchers, const LabelSet& labels);

}  // namespace wecom_notify::alert

#endif  // WECOM_NOTIFY_LIBS_ALERT_MATCHER_H_
