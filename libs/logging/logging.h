// File: libs/logging/logging.h
//
// Structured logs for every binary of wecom-notify, in logfmt (the default, as Prometheus and
// Alertmanager log) or JSON, one line per event on stderr:
//
//   ts=2026-11-25T04:59:16.576Z level=warn msg="wecom send failed" receiver=ops errcode=60020
//   {"ts":"2026-11-25T04:59:16.576Z","level":"warn","msg":"wecom send failed","receiver":"ops"}
//
// Code logs through Log()/Info()/Warn()/Error() with key-value fields. Plain spdlog calls
// (spdlog::info("text")) are rendered too, their text becoming `msg`. Never pass a secret
// (app secret, access token, robot key) as a value: nothing here can tell it is one.
//
// Thread-safety: everything here may be called from any thread after Init().

#ifndef WECOM_NOTIFY_LIBS_LOGGING_LOGGING_H_
#define WECOM_NOTIFY_LIBS_LOGGING_LOGGING_H_

#include <initializer_list>
#include <memory>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace spdlog::sinks {
class sink;
}

namespace wecom_notify::logging {

enum class Level { kDebug, kInfo, kWarn, kError };
enum class Format { kLogfmt, kJson };

// Parses "debug" | "info" | "warn" | "error" and "logfmt" | "json". InvalidArgument otherwise.
absl::Status ParseLevel(absl::string_view text, Level* level);
absl::Status ParseFormat(absl::string_view text, Format* format);

// Init()
//
// Sends every log line at `level` or above to stderr in `format`. Call once at start-up.
void Init(Level level, Format format);

// InitWithSink()
//
// As Init(), but writes to `sink` (tests capture logs this way).
void InitWithSink(Level level, Format format, std::shared_ptr<spdlog::sinks::sink> sink);

struct Field {
  Field(absl::string_view k, absl::string_view v) : key(k), value(v) {}
  Field(absl::string_view k, const std::string& v) : key(k), value(v) {}
  Field(absl::string_view k, const char* v) : key(k), value(v) {}
  template <typename T, typename = std::enable_if_t<std::is_arithmetic_v<T>>>
  Field(absl::string_view k, T v) : key(k), value(absl::StrCat(v)) {}

  absl::string_view key;
  std::string value;
};

void Log(Level level, absl::string_view msg, std::initializer_list<Field> fields = {});
inline void Debug(absl::string_view msg, std::initializer_list<Field> fields = {}) {
  Log(Level::kDebug, msg, fields);
}
inline void Info(absl::string_view msg, std::initializer_list<Field> fields = {}) {
  Log(Level::kInfo, msg, fields);
}
inline void Warn(absl::string_view msg, std::initializer_list<Field> fields = {}) {
  Log(Level::kWarn, msg, fields);
}
inline void Error(absl::string_view msg, std::initializer_list<Field> fields = {}) {
  Log(Level::kError, msg, fields);
}

}  // namespace wecom_notify::logging

#endif  // WECOM_NOTIFY_LIBS_LOGGING_LOGGING_H_
