// File: tests/wecom/log_capture.h
//
// LogCapture routes spdlog's default logger into a string for the test's lifetime (all levels),
// and restores the previous default logger afterwards.

#ifndef WECOM_NOTIFY_TESTS_WECOM_LOG_CAPTURE_H_
#define WECOM_NOTIFY_TESTS_WECOM_LOG_CAPTURE_H_

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <sstream>
#include <string>

namespace wecom_notify::wecom::testing {

class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_);
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }

  std::string text() {
    spdlog::default_logger()->flush();
    return stream_.str();
  }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream stream_;
};

}  // namespace wecom_notify::wecom::testing

#endif  // WECOM_NOTIFY_TESTS_WECOM_LOG_CAPTURE_H_
