// File: libs/common/status_macros.h
//
// RETURN_IF_ERROR and ASSIGN_OR_RETURN, because Debian 12's Abseil (20220623) predates
// ABSL_RETURN_IF_ERROR / ABSL_ASSIGN_OR_RETURN. Same meaning as those.

#ifndef WECOM_NOTIFY_LIBS_COMMON_STATUS_MACROS_H_
#define WECOM_NOTIFY_LIBS_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Evaluates `expr` (an absl::Status); returns it from the enclosing function unless OK.
#define RETURN_IF_ERROR(expr)                                  \
  do {                                                         \
    const ::absl::Status wecom_notify_status_ = (expr);        \
    if (!wecom_notify_status_.ok()) return wecom_notify_status_; \
  } while (0)

#define WECOM_NOTIFY_CONCAT_INNER_(a, b) a##b
#define WECOM_NOTIFY_CONCAT_(a, b) WECOM_NOTIFY_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::StatusOr<T>); returns its status unless OK, else moves the value
// into `lhs` (which may be a declaration: ASSIGN_OR_RETURN(auto x, F());).
#define ASSIGN_OR_RETURN(lhs, expr) \
  WECOM_NOTIFY_ASSIGN_OR_RETURN_IMPL_(WECOM_NOTIFY_CONCAT_(statusor_, __LINE__), lhs, expr)

#define WECOM_NOTIFY_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                        \
  if (!statusor.ok()) return std::move(statusor).status();       \
  lhs = std::move(statusor).value()

#endif  // WECOM_NOTIFY_LIBS_COMMON_STATUS_MACROS_H_
