// File: libs/wecom/limits.h
//
// WeCom's documented request limits (research: wecom-api.md §2.1, §2.2, §3). Content limits are
// UTF-8 bytes of the content string itself.

#ifndef WECOM_NOTIFY_LIBS_WECOM_LIMITS_H_
#define WECOM_NOTIFY_LIBS_WECOM_LIMITS_H_

#include <cstddef>

namespace wecom_notify::wecom {

inline constexpr size_t kAppTextMaxBytes = 2048;
inline constexpr size_t kAppMarkdownMaxBytes = 2048;
inline constexpr size_t kRobotTextMaxBytes = 2048;
inline constexpr size_t kRobotMarkdownMaxBytes = 4096;

inline constexpr size_t kMaxUsersPerRequest = 1000;
inline constexpr size_t kMaxPartiesPerRequest = 100;
inline constexpr size_t kMaxTagsPerRequest = 100;

}  // namespace wecom_notify::wecom

#endif  // WECOM_NOTIFY_LIBS_WECOM_LIMITS_H_
