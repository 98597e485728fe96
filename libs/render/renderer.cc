#include "libs/render/renderer.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace wecom_notify::render {

absl::StatusOr<Language> ParseLanguage(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == "zh" || lower == "zh-cn" || lower == "zh_cn") return Language::kZhCN;
  if (lower == "en" || lower == "en-us" || lower == "en_us") return Language::kEn;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown language \"", name, "\": use zh-CN or en"));
}

absl::StatusOr<absl::TimeZone> LoadTimeZone(absl::string_view name) {
  absl::TimeZone tz;
  if (absl::LoadTimeZone(std::string(name), &tz)) return tz;
  if (name == "Asia/Shanghai" || name == "Asia/Chongqing" || name == "PRC") {
    return absl::FixedTimeZone(8 * 3600);
  }
  if (name == "UTC" || name == "Etc/UTC") return absl::UTCTimeZone();
  return absl::NotFoundError(
      absl::StrCat("time zone \"", name, "\" not found (is the tzdata package installed?)"));
}

}  // namespace wecom_notify::render
