#include "libs/wecom/redact.h"

#include <array>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace wecom_notify::wecom {
namespace {

constexpr std::array<absl::string_view, 3> kSecretParams = {"access_token=", "corpsecret=", "key="};

bool EndsValue(char c) {
  return c == '&' || c == '#' || c == '"' || c == '\'' || c == '<' || c == '>' ||
         absl::ascii_isspace(static_cast<unsigned char>(c));
}

bool IsParamBoundary(char c) {
  return !absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_';
}

// True when `text` at `pos` starts with `param` (ASCII case-insensitive).
bool StartsWithAt(absl::string_view text, size_t pos, absl::string_view param) {
  if (text.size() - pos < param.size()) return false;
  for (size_t k = 0; k < param.size(); ++k) {
    if (absl::ascii_tolower(static_cast<unsigned char>(text[pos + k])) != param[k]) return false;
  }
  return true;
}

}  // namespace

std::string RedactSecrets(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    bool matched = false;
    if (i == 0 || IsParamBoundary(text[i - 1])) {
      for (absl::string_view param : kSecretParams) {
        if (!StartsWithAt(text, i, param)) continue;
        absl::StrAppend(&out, text.substr(i, param.size()));
        i += param.size();
        size_t end = i;
        while (end < text.size() && !EndsValue(text[end])) ++end;
        if (end > i) absl::StrAppend(&out, kRedacted);
        i = end;
        matched = true;
        break;
      }
    }
    if (!matched) out.push_back(text[i++]);
  }
  return out;
}

std::string SecretFingerprint(absl::string_view secret) {
  uint32_t hash = 2166136261u;
  for (char c : secret) {
    hash ^= static_cast<uint8_t>(c);
    hash *= 16777619u;
  }
  return absl::StrFormat("robot-%08x", hash);
}

}  // namespace wecom_notify::wecom
