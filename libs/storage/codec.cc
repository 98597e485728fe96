// File: libs/storage/codec.cc

#include "libs/storage/codec.h"

#include <cstddef>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace wecom_notify::storage {
namespace {

void AppendVarint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

// Reads one varint from the front of `*data` and advances it; false when truncated, longer
// than 10 bytes, overflowing 64 bits or not in its shortest form (so every value has exactly
// one accepted encoding).
bool ReadVarint(absl::string_view* data, uint64_t* value) {
  uint64_t result = 0;
  for (std::size_t i = 0; i < data->size() && i < 10; ++i) {
    const uint64_t byte = static_cast<unsigned char>((*data)[i]);
    if (i == 9 && byte > 1) return false;  // bits past 64
    result |= (byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      if (byte == 0 && i > 0) return false;  // a redundant trailing zero group
      data->remove_prefix(i + 1);
      *value = result;
      return true;
    }
  }
  return false;
}

// Reads a varint length and that many bytes from the front of `*data`.
bool ReadBytes(absl::string_view* data, absl::string_view* bytes) {
  uint64_t size = 0;
  if (!ReadVarint(data, &size) || size > data->size()) return false;
  *bytes = data->substr(0, static_cast<std::size_t>(size));
  data->remove_prefix(static_cast<std::size_t>(size));
  return true;
}

absl::Status Corrupt(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("corrupt ", what));
}

}  // namespace

void AppendLabelSet(const alert::LabelSet& labels, std::string* out) {
  AppendVarint(labels.size(), out);
  for (const alert::LabelView label : labels) {
    AppendVarint(label.name.size(), out);
    out->append(label.name.data(), label.name.size());
    AppendVarint(label.value.size(), out);
    out->append(label.value.data(), label.value.size());
  }
}

absl::StatusOr<alert::LabelSet> DecodeLabelSet(absl::string_view data) {
  const std::size_t encoded_size = data.size();
  uint64_t count = 0;
  if (!ReadVarint(&data, &count)) return Corrupt("label set: bad count");
  // Each pair takes at least two bytes: a count beyond that is corrupt, and checking it first
  // keeps a corrupt count from reserving gigabytes.
  if (count > data.size() / 2) {
    return Corrupt(absl::StrCat("label set: count ", count, " does not fit in ", encoded_size,
                                " bytes"));
  }
  std::vector<alert::LabelView> labels;
  labels.reserve(static_cast<std::size_t>(count));
  for (uint64_t i = 0; i < count; ++i) {
    absl::string_view name;
    absl::string_view value;
    if (!ReadBytes(&data, &name) || !ReadBytes(&data, &value)) {
      return Corrupt(absl::StrCat("label set: pair ", i, " truncated"));
    }
    if (!labels.empty() && !(labels.back().name < name)) {
      return Corrupt(absl::StrCat("label set: pair ", i, " out of order"));
    }
    labels.push_back(alert::LabelView{name, value});
  }
  if (!data.empty()) {
    return Corrupt(absl::StrCat("label set: ", data.size(), " trailing bytes"));
  }
  return alert::LabelSet::FromViews(absl::MakeSpan(labels));
}

void AppendFingerprints(const std::vector<uint64_t>& fingerprints, std::string* out) {
  out->reserve(out->size() + 8 * fingerprints.size());
  for (uint64_t fingerprint : fingerprints) {
    for (int shift = 0; shift < 64; shift += 8) {
      out->push_back(static_cast<char>((fingerprint >> shift) & 0xff));
    }
  }
}

absl::StatusOr<std::vector<uint64_t>> DecodeFingerprints(absl::string_view data) {
  if (data.size() % 8 != 0) {
    return Corrupt(absl::StrCat("fingerprint list: ", data.size(), " bytes, not a multiple of 8"));
  }
  std::vector<uint64_t> fingerprints;
  fingerprints.reserve(data.size() / 8);
  for (std::size_t i = 0; i < data.size(); i += 8) {
    uint64_t fingerprint = 0;
    for (int b = 0; b < 8; ++b) {
      fingerprint |= uint64_t{static_cast<unsigned char>(data[i + b])} << (8 * b);
    }
    fingerprints.push_back(fingerprint);
  }
  return fingerprints;
}

}  // namespace wecom_notify::storage
