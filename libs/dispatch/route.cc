#include "libs/dispatch/route.h"

#include <algorithm>
#include <tuple>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "libs/alert/validate.h"

namespace wecom_notify::dispatch {
namespace {

const char* OperatorText(alert::Matcher::Type type) {
  switch (type) {
    case alert::Matcher::Type::kEqual: return "=";
    case alert::Matcher::Type::kNotEqual: return "!=";
    case alert::Matcher::Type::kRegex: return "=~";
    case alert::Matcher::Type::kNotRegex: return "!~";
  }
  return "=";
}

// Go's strconv.Quote for the characters label values contain in practice: printable UTF-8
// passes through; quotes, backslashes and control characters are escaped.
void AppendGoQuoted(absl::string_view value, std::string* out) {
  out->push_back('"');
  for (unsigned char c : value) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\r':
        out->append("\\r");
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          absl::StrAppendFormat(out, "\\x%02x", c);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

// One pair of a label set's text, `name="value"`, after ", " unless it is the first.
void AppendLabelText(absl::string_view name, absl::string_view value, bool first,
                     std::string* out) {
  if (!first) out->append(", ");
  out->append(name.data(), name.size());
  out->push_back('=');
  AppendGoQuoted(value, out);
}

void AppendLabelSetString(const alert::LabelSet& labels, std::string* out) {
  out->push_back('{');
  bool first = true;
  for (const auto& label : labels) {
    AppendLabelText(label.name, label.value, first, out);
    first = false;
  }
  out->push_back('}');
}

// OpenMetrics escaping used by Alertmanager's Matcher.String().
std::string MatcherValueQuote(const std::string& value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '"') out += "\\\"";
    else out.push_back(c);
  }
  out += "\"";
  return out;
}

std::string MatchersString(std::vector<alert::Matcher> matchers) {
  std::sort(matchers.begin(), matchers.end(), [](const alert::Matcher& a, const alert::Matcher& b) {
    return std::make_tuple(a.name(), a.value(), static_cast<int>(a.type())) <
           std::make_tuple(b.name(), b.value(), static_cast<int>(b.type()));
  });
  std::vector<std::string> parts;
  for (const auto& m : matchers) {
    parts.push_back(absl::StrCat(m.name(), OperatorText(m.type()), MatcherValueQuote(m.value())));
  }
  return absl::StrCat("{", absl::StrJoin(parts, ","), "}");
}

absl::Status Invalid(const std::string& route_key, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("route ", route_key, ": ", problem));
}

}  // namespace

std::string LabelSetString(const alert::LabelSet& labels) {
  std::string out;
  AppendLabelSetString(labels, &out);
  return out;
}

absl::StatusOr<std::shared_ptr<const Route>> Route::BuildTree(const RouteSpec& root_spec) {
  if (!root_spec.receiver || root_spec.receiver->empty()) {
    return Invalid("{}", "the root route needs a receiver");
  }
  if (!root_spec.matchers.empty()) return Invalid("{}", "the root route cannot have matchers");
  if (root_spec.continue_matching) return Invalid("{}", "the root route cannot have continue");

  // Depth-first build; `parent` is null for the root.
  std::function<absl::StatusOr<std::unique_ptr<Route>>(const RouteSpec&, const Route*)> build =
      [&](const RouteSpec& spec, const Route* parent) -> absl::StatusOr<std::unique_ptr<Route>> {
    std::unique_ptr<Route> route(new Route());
    route->key_ = parent == nullptr ? "{}" : absl::StrCat(parent->key_, "/", MatchersString(spec.matchers));
    RouteOptions options = parent == nullptr ? RouteOptions() : parent->options_;
    if (spec.receiver) options.receiver = *spec.receiver;
    if (spec.group_by) {
      options.group_by.clear();
      options.group_by_all = false;
      absl::flat_hash_set<std::string> seen;
      for (const std::string& name : *spec.group_by) {
        if (name == "...") {
          if (spec.group_by->size() != 1) {
            return Invalid(route->key_,
                           "group_by: cannot have wildcard '...' and other labels at the same time");
          }
          options.group_by_all = true;
          continue;
        }
        if (!alert::IsValidLabelName(name)) {
          return Invalid(route->key_, absl::StrCat("group_by: invalid label name \"", name, "\""));
        }
        if (!seen.insert(name).second) {
          return Invalid(route->key_, absl::StrCat("group_by: duplicated label \"", name, "\""));
        }
        options.group_by.push_back(name);
      }
      std::sort(options.group_by.begin(), options.group_by.end());
    }
    if (spec.group_wait) {
      if (*spec.group_wait < absl::ZeroDuration()) return Invalid(route->key_, "group_wait must be >= 0");
      options.group_wait = *spec.group_wait;
    }
    if (spec.group_interval) {
      if (*spec.group_interval <= absl::ZeroDuration()) {
        return Invalid(route->key_, "group_interval must be greater than 0");
      }
      options.group_interval = *spec.group_interval;
    }
    if (spec.repeat_interval) {
      if (*spec.repeat_interval <= absl::ZeroDuration()) {
        return Invalid(route->key_, "repeat_interval must be greater than 0");
      }
      options.repeat_interval = *spec.repeat_interval;
    }
    route->options_ = std::move(options);
    route->matchers_ = spec.matchers;
    route->continue_matching_ = spec.continue_matching;
    for (const RouteSpec& child_spec : spec.routes) {
      auto child = build(child_spec, route.get());
      if (!child.ok()) return child.status();
      route->children_.push_back(*std::move(child));
    }
    return route;
  };
  auto root = build(root_spec, nullptr);
  if (!root.ok()) return root.status();
  return std::shared_ptr<const Route>(*std::move(root));
}

std::vector<const Route*> Route::Match(const alert::LabelSet& labels) const {
  std::vector<const Route*> out;
  MatchInto(labels, &out);
  return out;
}

void Route::Match(const alert::LabelSet& labels, std::vector<const Route*>* routes) const {
  routes->clear();
  MatchInto(labels, routes);
}

void Route::MatchInto(const alert::LabelSet& labels, std::vector<const Route*>* out) const {
  if (!alert::MatchesAll(matchers_, labels)) return;
  const std::size_t before = out->size();
  for (const auto& child : children_) {
    const std::size_t size_before_child = out->size();
    child->MatchInto(labels, out);
    if (out->size() > size_before_child && !child->continue_matching_) break;
  }
  if (out->size() == before) out->push_back(this);
}

alert::LabelSet Route::GroupLabels(const alert::LabelSet& labels) const {
  if (options_.group_by_all) return labels;
  std::vector<alert::LabelView> picked;
  for (const std::string& name : options_.group_by) {
    if (const std::optional<absl::string_view> value = labels.Get(name)) {
      picked.push_back({name, *value});
    }
  }
  return alert::LabelSet::FromViews(absl::MakeSpan(picked));
}

std::string Route::GroupKey(const alert::LabelSet& group_labels) const {
  std::string key = absl::StrCat(key_, ":");
  AppendLabelSetString(group_labels, &key);
  return key;
}

void Route::AppendGroupKey(const alert::LabelSet& labels, std::string* out) const {
  absl::StrAppend(out, key_, ":");
  if (options_.group_by_all) {
    AppendLabelSetString(labels, out);
    return;
  }
  // group_by is sorted as a LabelSet is, so the pairs come in GroupLabels' order.
  out->push_back('{');
  bool first = true;
  for (const std::string& name : options_.group_by) {
    if (const std::optional<absl::string_view> value = labels.Get(name)) {
      AppendLabelText(name, *value, first, out);
      first = false;
    }
  }
  out->push_back('}');
}

}  // namespace wecom_notify::dispatch
