#include "libs/alert/fingerprint.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"

namespace wecom_notify::alert {
namespace {

constexpr uint64_t kOffset64 = 0xcbf29ce484222325ULL;
constexpr uint64_t kPrime64 = 0x100000001b3ULL;
constexpr unsigned char kSeparator = 0xff;

inline uint64_t Mix(uint64_t hash, absl::string_view bytes) {
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= kPrime64;
  }
  return hash;
}

inline uint64_t MixSeparator(uint64_t hash) {
  hash ^= kSeparator;
  return hash * kPrime64;
}

}  // namespace

uint64_t Fingerprint(const LabelSet& labels) {
  uint64_t hash = kOffset64;
  for (const LabelView label : labels) {
    hash = MixSeparator(Mix(hash, label.name));
    hash = MixSeparator(Mix(hash, label.value));
  }
  return hash;
}

std::string FingerprintToHex(uint64_t fingerprint) { return absl::StrFormat("%016x", fingerprint); }

std::optional<uint64_t> FingerprintFromHex(absl::string_view hex) {
  uint64_t value = 0;
  if (hex.size() != 16) return std::nullopt;
  for (char c : hex) {
    if (!absl::ascii_isxdigit(c)) return std::nullopt;
  }
  if (!absl::SimpleHexAtoi(hex, &value)) return std::nullopt;
  return value;
}

}  // namespace wecom_notify::alert
