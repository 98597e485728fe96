#include "libs/config/duration.h"

#include <array>
#include <cstdint>
#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace wecom_notify::config {
namespace {

struct Unit {
  absl::string_view suffix;
  absl::Duration size;
};

// Descending order; "ms" before "m" so the longer suffix wins.
const std::array<Unit, 7> kUnits = {{{"y", absl::Hours(24 * 365)},
                                     {"w", absl::Hours(24 * 7)},
                                     {"d", absl::Hours(24)},
                                     {"h", absl::Hours(1)},
                                     {"ms", absl::Milliseconds(1)},
                                     {"m", absl::Minutes(1)},
                                     {"s", absl::Seconds(1)}}};

// Rank of a unit in the order Prometheus requires (ms last).
int Rank(absl::string_view suffix) {
  static constexpr std::array<absl::string_view, 7> kOrder = {"y", "w", "d", "h", "m", "s", "ms"};
  for (std::size_t i = 0; i < kOrder.size(); ++i) {
    if (kOrder[i] == suffix) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

absl::StatusOr<absl::Duration> ParseDuration(absl::string_view text) {
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        "not a valid duration string: \"", text, "\" (use e.g. 30s, 5m, 1h30m, 12h, 500ms)"));
  };
  if (text == "0") return absl::ZeroDuration();
  if (text.empty()) return bad();
  absl::Duration total = absl::ZeroDuration();
  int last_rank = -1;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t digits_start = i;
    int64_t value = 0;
    while (i < text.size() && absl::ascii_isdigit(text[i])) {
      if (value > (int64_t{1} << 40)) return bad();
      value = value * 10 + (text[i] - '0');
      ++i;
    }
    if (i == digits_start) return bad();
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (text.substr(i, u.suffix.size()) == u.suffix) {
        unit = &u;
        break;
      }
    }
    if (unit == nullptr) return bad();
    int rank = Rank(unit->suffix);
    if (rank <= last_rank) return bad();
    last_rank = rank;
    total += value * unit->size;
    i += unit->suffix.size();
  }
  // Prometheus keeps a duration in int64 nanoseconds and refuses what does not fit (~292y), as
  // Alertmanager then does: a pasted configuration must not mean more here than there.
  if (total > absl::Nanoseconds(std::numeric_limits<int64_t>::max())) {
    return absl::InvalidArgumentError(
        absl::StrCat("duration out of range: \"", text, "\" (at most 292y)"));
  }
  return total;
}

absl::StatusOr<absl::Duration> ParseDurationFlag(absl::string_view flag, absl::string_view text,
                                                 bool zero_allowed) {
  absl::StatusOr<absl::Duration> duration = ParseDuration(text);
  if (!duration.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", duration.status().message()));
  }
  if (*duration == absl::ZeroDuration() && !zero_allowed) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, ": must be greater than 0"));
  }
  return duration;
}

std::string DurationToString(absl::Duration d) {
  if (d <= absl::ZeroDuration()) return "0s";
  std::string out;
  int64_t ms = absl::ToInt64Milliseconds(d);
  const std::array<std::pair<absl::string_view, int64_t>, 7> units = {{{"y", 365LL * 86400000},
                                                                      {"w", 7LL * 86400000},
                                                                      {"d", 86400000},
                                                                      {"h", 3600000},
                                                                      {"m", 60000},
                                                                      {"s", 1000},
                                                                      {"ms", 1}}};
  for (const auto& [suffix, size] : units) {
    if (ms >= size) {
      absl::StrAppend(&out, ms / size, suffix);
      ms %= size;
    }
  }
  return out;
}

}  // namespace wecom_notify::config
