// File: libs/common/grpc_status.h
//
// Conversions between absl::Status (inside our libraries) and grpc::Status (on the wire).
// The canonical codes are numerically equal: each absl::StatusCode names its gRPC twin.

#ifndef WECOM_NOTIFY_LIBS_COMMON_GRPC_STATUS_H_
#define WECOM_NOTIFY_LIBS_COMMON_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace wecom_notify {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace wecom_notify

#endif  // WECOM_NOTIFY_LIBS_COMMON_GRPC_STATUS_H_
