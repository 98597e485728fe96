#include "libs/logging/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"

namespace wecom_notify::logging {
namespace {

// Log() packs msg and fields into one spdlog payload separated by this byte, which the
// formatter unpacks; a plain spdlog message has none and is all `msg`.
constexpr char kSeparator = '\x1f';

absl::string_view LevelName(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    default:
      return "error";
  }
}

void AppendJsonString(absl::string_view s, std::string& out) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

void AppendLogfmtValue(absl::string_view s, std::string& out) {
  bool needs_quotes = s.empty();
  for (unsigned char c : s) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\') {
      needs_quotes = true;
      break;
    }
  }
  if (!needs_quotes) {
    absl::StrAppend(&out, s);
    return;
  }
  AppendJsonString(s, out);  // logfmt quoting is JSON string quoting
}

class StructuredFormatter : public spdlog::formatter {
 public:
  explicit StructuredFormatter(Format format) : format_(format) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    absl::string_view payload(msg.payload.data(), msg.payload.size());
    std::vector<absl::string_view> parts = absl::StrSplit(payload, kSeparator);
    std::string ts = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ",
                                      absl::FromChrono(msg.time), absl::UTCTimeZone());
    std::string line;
    line.reserve(payload.size() + 64);
    if (format_ == Format::kJson) {
      line += "{\"ts\":\"" + ts + "\",\"level\":\"";
      absl::StrAppend(&line, LevelName(msg.level));
      line += "\",\"msg\":";
      AppendJsonString(parts[0], line);
      for (std::size_t i = 1; i + 1 < parts.size(); i += 2) {
        line.push_back(',');
        AppendJsonString(parts[i], line);
        line.push_back(':');
        AppendJsonString(parts[i + 1], line);
      }
      line += "}\n";
    } else {
      line += "ts=" + ts + " level=";
      absl::StrAppend(&line, LevelName(msg.level));
      line += " msg=";
      AppendLogfmtValue(parts[0], line);
      for (std::size_t i = 1; i + 1 < parts.size(); i += 2) {
        line.push_back(' ');
        absl::StrAppend(&line, parts[i]);
        line.push_back('=');
        AppendLogfmtValue(parts[i + 1], line);
      }
      line.push_back('\n');
    }
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<StructuredFormatter>(format_);
  }

 private:
  Format format_;
};

spdlog::level::level_enum ToSpdlog(Level level) {
  switch (level) {
    case Level::kDebug: return spdlog::level::debug;
    case Level::kInfo: return spdlog::level::info;
    case Level::kWarn: return spdlog::level::warn;
    case Level::kError: return spdlog::level::err;
  }
  return spdlog::level::info;
}

}  // namespace

absl::Status ParseLevel(absl::string_view text, Level* level) {
  if (text == "debug") *level = Level::kDebug;
  else if (text == "info") *level = Level::kInfo;
  else if (text == "warn") *level = Level::kWarn;
  else if (text == "error") *level = Level::kError;
  else return absl::InvalidArgumentError(
      absl::StrCat("log.level: \"", text, "\" is not one of debug, info, warn, error"));
  return absl::OkStatus();
}

absl::Status ParseFormat(absl::string_view text, Format* format) {
  if (text == "logfmt") *format = Format::kLogfmt;
  else if (text == "json") *format = Format::kJson;
  else return absl::InvalidArgumentError(
      absl::StrCat("log.format: \"", text, "\" is not one of logfmt, json"));
  return absl::OkStatus();
}

void InitWithSink(Level level, Format format, std::shared_ptr<spdlog::sinks::sink> sink) {
  auto logger = std::make_shared<spdlog::logger>("wecom-notify", std::move(sink));
  logger->set_formatter(std::make_unique<StructuredFormatter>(format));
  logger->set_level(ToSpdlog(level));
  logger->flush_on(spdlog::level::debug);
  spdlog::set_default_logger(std::move(logger));
}

void Init(Level level, Format format) {
  InitWithSink(level, format, std::make_shared<spdlog::sinks::stderr_sink_mt>());
}

void Log(Level level, absl::string_view msg, std::initializer_list<Field> fields) {
  auto* logger = spdlog::default_logger_raw();
  const auto spd_level = ToSpdlog(level);
  if (!logger->should_log(spd_level)) return;
  std::string payload(msg);
  for (const Field& field : fields) {
    payload.push_back(kSeparator);
    absl::StrAppend(&payload, field.key);
    payload.push_back(kSeparator);
    payload.append(field.value);
  }
  logger->log(spd_level, spdlog::string_view_t(payload.data(), payload.size()));
}

}  // namespace wecom_notify::logging
