// File: libs/storage/codec.h
//
// The byte encodings SqliteStateStore puts in BLOB columns, and their strict decoders.
//
//   LabelSet     varint(count), then per pair in strictly ascending name order:
//                varint(len(name)) name varint(len(value)) value
//                (varints are unsigned LEB128 in shortest form, at most 10 bytes)
//   fingerprints 8 bytes little-endian per uint64, in the given order
//   time         int64 unix nanoseconds, alert::EncodeTime (libs/alert/time_encoding.h: the
//                same form as in memory; far years clamped, infinities as INT64_MIN/MAX)
//
// Decoders treat their input as untrusted: anything but a well-formed encoding is
// absl::DataLossError naming what is wrong, never a crash or an over-read.
//
// Thread-safety: free functions with no shared state.

#ifndef WECOM_NOTIFY_LIBS_STORAGE_CODEC_H_
#define WECOM_NOTIFY_LIBS_STORAGE_CODEC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/alert/label_set.h"
#include "libs/alert/time_encoding.h"

namespace wecom_notify::storage {

// Appends the encoding of `labels` to `*out`.
void AppendLabelSet(const alert::LabelSet& labels, std::string* out);

// DecodeLabelSet()
//
// The LabelSet encoded in `data`. Errors: DataLoss when `data` is truncated, has trailing
// bytes, an over-long or non-shortest varint, a length past its end, or names not strictly
// ascending.
absl::StatusOr<alert::LabelSet> DecodeLabelSet(absl::string_view data);

// Appends the encoding of `fingerprints` to `*out`.
void AppendFingerprints(const std::vector<uint64_t>& fingerprints, std::string* out);

// DecodeFingerprints()
//
// The fingerprints encoded in `data`. Errors: DataLoss when the size is not a multiple of 8.
absl::StatusOr<std::vector<uint64_t>> DecodeFingerprints(absl::string_view data);

// Times are stored in their int64 form (see above).
using alert::DecodeTime;
using alert::EncodeTime;

}  // namespace wecom_notify::storage

#endif  // WECOM_NOTIFY_LIBS_STORAGE_CODEC_H_
