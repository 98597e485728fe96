// File: libs/dispatch/route.h
//
// The routing tree, with Alertmanager's semantics (dispatch/route.go):
//  - a node matches when all its matchers match; its children are tried in order, depth first;
//    a matching child without `continue` ends the scan of its siblings; when no child matched,
//    the node itself is the match. One alert may land in several routes.
//  - receiver, group_by, group_wait, group_interval and repeat_interval are inherited from the
//    parent unless set; `continue` and matchers are not.
//  - defaults: group_wait 30s, group_interval 5m, repeat_interval 12h (Alertmanager's is 4h;
//    12h is what WeCom users expect — one reminder per half day).
//  - `group_by: ['...']` groups by every label: one group per alert.
//
// Route keys and group keys are Alertmanager's strings, so they read the same in logs and
// payloads: route key `{}/{severity="critical"}`, group key `{}/{severity="critical"}:{alertname="X"}`.
//
// Thread-safety: a built tree is immutable and may be shared across threads.

#ifndef WECOM_NOTIFY_LIBS_DISPATCH_ROUTE_H_
#define WECOM_NOTIFY_LIBS_DISPATCH_ROUTE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/alert/label_set.h"
#include "libs/alert/matcher.h"

namespace wecom_notify::dispatch {

// A route as configured: unset options inherit from the parent.
struct RouteSpec {
  std::optional<std::string> receiver;
  std::optional<std::vector<std::string>> group_by;  // ["..."] = every label
  std::optional<absl::Duration> group_wait;
  std::optional<absl::Duration> group_interval;
  std::optional<absl::Duration> repeat_interval;
  std::vector<alert::Matcher> matchers;
  bool continue_matching = false;
  std::vector<RouteSpec> routes;
};

// Resolved options of a route.
struct RouteOptions {
  std::string receiver;
  std::vector<std::string> group_by;  // sorted, unique; empty with group_by_all
  bool group_by_all = false;
  absl::Duration group_wait = absl::Seconds(30);
  absl::Duration group_interval = absl::Minutes(5);
  absl::Duration repeat_interval = absl::Hours(12);
};

class Route {
 public:
  // BuildTree()
  //
  // Resolves inheritance and validates: the root needs a receiver and may have no matchers or
  // `continue`; group_interval and repeat_interval must be > 0, group_wait >= 0; group_by names
  // must be unique and valid label names, and '...' must stand alone. Errors: InvalidArgument
  // naming the route (by its key) and the field.
  static absl::StatusOr<std::shared_ptr<const Route>> BuildTree(const RouteSpec& root);

  // The routes `labels` match, in tree order.
  std::vector<const Route*> Match(const alert::LabelSet& labels) const;
  // The same into `routes` (replacing its content), whose capacity a caller can reuse.
  void Match(const alert::LabelSet& labels, std::vector<const Route*>* routes) const;

  // The group labels of `labels` under this route: the group_by labels it has, or all of them.
  alert::LabelSet GroupLabels(const alert::LabelSet& labels) const;

  // "<route key>:<group labels>", Alertmanager's aggrGroup.GroupKey().
  std::string GroupKey(const alert::LabelSet& group_labels) const;
  // Appends GroupKey(GroupLabels(labels)) to `out` without building either: the dispatcher
  // finds an alert's group with it, allocating nothing once `out` has grown.
  void AppendGroupKey(const alert::LabelSet& labels, std::string* out) const;

  const std::string& key() const { return key_; }
  const RouteOptions& options() const { return options_; }
  const std::vector<std::unique_ptr<Route>>& children() const { return children_; }

 private:
  Route() = default;
  void MatchInto(const alert::LabelSet& labels, std::vector<const Route*>* out) const;

  std::string key_;
  RouteOptions options_;
  std::vector<alert::Matcher> matchers_;
  bool continue_matching_ = false;
  std::vector<std::unique_ptr<Route>> children_;
};

// Alertmanager's LabelSet.String(): `{a="x", b="y"}`, names sorted, values Go-quoted.
std::string LabelSetString(const alert::LabelSet& labels);

}  // namespace wecom_notify::dispatch

#endif  // WECOM_NOTIFY_LIBS_DISPATCH_ROUTE_H_
