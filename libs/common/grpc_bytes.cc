#include "libs/common/grpc_bytes.h"

#include <utility>
#include <vector>

#include "libs/common/grpc_status.h"

namespace wecom_notify {

grpc::Slice SliceOwning(std::string bytes) {
  auto* owned = new std::string(std::move(bytes));
  return grpc::Slice(
      owned->data(), owned->size(), [](void* p) { delete static_cast<std::string*>(p); }, owned);
}

absl::Status FlatBytes::Load(const grpc::ByteBuffer& buffer) {
  joined_.clear();
  if (buffer.TrySingleSlice(&single_).ok()) {
    view_ = absl::string_view(reinterpret_cast<const char*>(single_.begin()), single_.size());
    return absl::OkStatus();
  }
  single_ = grpc::Slice();
  std::vector<grpc::Slice> slices;
  if (grpc::Status dumped = buffer.Dump(&slices); !dumped.ok()) {
    view_ = absl::string_view();
    return FromGrpcStatus(dumped);
  }
  for (const grpc::Slice& slice : slices) {
    joined_.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  view_ = joined_;
  return absl::OkStatus();
}

}  // namespace wecom_notify
