#include "libs/alert/matcher.h"

#include <re2/re2.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/alert/validate.h"

namespace wecom_notify::alert {
namespace {

// Unquotes a Go-style double-quoted value ("a\"b" → a"b); other values are returned trimmed.
absl::StatusOr<std::string> UnquoteValue(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.size() < 2 || text.front() != '"' || text.back() != '"') return std::string(text);
  std::string out;
  for (std::size_t i = 1; i + 1 < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && i + 2 < text.size()) {
      char next = text[++i];
      out.push_back(next == 'n' ? '\n' : next);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

Matcher::Matcher(std::string name, Type type, std::string value,
                 std::shared_ptr<const re2::RE2> regex)
    : name_(std::move(name)), type_(type), value_(std::move(value)), regex_(std::move(regex)) {}

absl::StatusOr<Matcher> Matcher::Create(std::string name, Type type, std::string value) {
  if (name.empty()) return absl::InvalidArgumentError("matcher: label name is empty");
  std::shared_ptr<const re2::RE2> regex;
  if (type == Type::kRegex || type == Type::kNotRegex) {
    RE2::Options options;
    options.set_log_errors(false);
    regex = std::make_shared<const re2::RE2>(absl::StrCat("^(?:", value, ")$"), options);
    if (!regex->ok()) {
      return absl::InvalidArgumentError(absl::StrCat("matcher ", name, ": invalid regex \"", value,
                                                     "\": ", regex->error()));
    }
  }
  return Matcher(std::move(name), type, std::move(value), std::move(regex));
}

absl::StatusOr<Matcher> Matcher::Parse(absl::string_view text) {
  absl::string_view trimmed = absl::StripAsciiWhitespace(text);
  auto op = trimmed.find_first_of("=!");
  if (op == absl::string_view::npos || op == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("matcher \"", text, "\": expected name=value, name!=value, name=~re or name!~re"));
  }
  std::string name(absl::StripAsciiWhitespace(trimmed.substr(0, op)));
  absl::string_view rest = trimmed.substr(op);
  Type type;
  if (absl::StartsWith(rest, "=~")) {
    type = Type::kRegex;
    rest.remove_prefix(2);
  } else if (absl::StartsWith(rest, "!~")) {
    type = Type::kNotRegex;
    rest.remove_prefix(2);
  } else if (absl::StartsWith(rest, "!=")) {
    type = Type::kNotEqual;
    rest.remove_prefix(2);
  } else if (absl::StartsWith(rest, "=")) {
    type = Type::kEqual;
    rest.remove_prefix(1);
  } else {
    return absl::InvalidArgumentError(absl::StrCat("matcher \"", text, "\": unknown operator"));
  }
  if (!IsValidLabelName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("matcher \"", text, "\": invalid label name \"", name, "\""));
  }
  auto value = UnquoteValue(rest);
  if (!value.ok()) return value.status();
  return Create(std::move(name), type, *std::move(value));
}

bool Matcher::Matches(const LabelSet& labels) const {
  const std::optional<absl::string_view> found = labels.Get(name_);
  re2::StringPiece actual =
      found.has_value() ? re2::StringPiece(found->data(), found->size()) : re2::StringPiece();
  switch (type_) {
    case Type::kEqual:
      return actual == re2::StringPiece(value_);
    case Type::kNotEqual:
      return actual != re2::StringPiece(value_);
    case Type::kRegex:
      return RE2::FullMatch(actual, *regex_);
    case Type::kNotRegex:
      return !RE2::FullMatch(actual, *regex_);
  }
  return false;
}

bool MatchesAll(const std::vector<Matcher>& matchers, const LabelSet& labels) {
  for (const Matcher& m : matchers) {
    if (!m.Matches(labels)) return false;
  }
  return true;
}

}  // namespace wecom_notify::alert
