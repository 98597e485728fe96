// File: libs/common/grpc_bytes.h
//
// Raw messages (grpc::ByteBuffer) to and from our own encodings without copies where gRPC allows:
// the ingest path encodes and decodes protobuf wire bytes itself (libs/notify_wire) and hands
// gRPC only bytes.

#ifndef WECOM_NOTIFY_LIBS_COMMON_GRPC_BYTES_H_
#define WECOM_NOTIFY_LIBS_COMMON_GRPC_BYTES_H_

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace wecom_notify {

// A slice that owns `bytes` without copying them; gRPC frees them when no longer needed.
grpc::Slice SliceOwning(std::string bytes);

// A received message's bytes as one view. gRPC usually hands a message over in one slice, viewed
// in place; a larger one may come in several, joined into a copy.
class FlatBytes {
 public:
  // Errors: what grpc::ByteBuffer::Dump reports. The view stays valid until the next Load or the
  // FlatBytes' end, whatever becomes of `buffer`.
  absl::Status Load(const grpc::ByteBuffer& buffer);
  absl::string_view view() const { return view_; }

 private:
  grpc::Slice single_;
  std::string joined_;
  absl::string_view view_;
};

}  // namespace wecom_notify

#endif  // WECOM_NOTIFY_LIBS_COMMON_GRPC_BYTES_H_
