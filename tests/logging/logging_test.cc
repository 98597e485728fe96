#include "libs/logging/logging.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <sstream>

#include "absl/functional/function_ref.h"

namespace wecom_notify::logging {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

class LoggingTest : public ::testing::Test {
 protected:
  std::string Capture(Format format, Level level, absl::FunctionRef<void()> log) {
    std::ostringstream out;
    InitWithSink(level, format, std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
    log();
    return out.str();
  }
};

TEST_F(LoggingTest, LogfmtQuotesWhatNeedsQuoting) {
  const std::string line = Capture(Format::kLogfmt, Level::kInfo, [] {
    Warn("wecom send failed", {{"receiver", "ops"}, {"errcode", 60020}, {"errmsg", "not allow \"ip\""}});
  });
  EXPECT_THAT(line, MatchesRegex("ts=[0-9T:.-]+Z level=warn msg=\"wecom send failed\" receiver=ops "
                                 "errcode=60020 errmsg=\"not allow \\\\\"ip\\\\\"\"\n"));
}

TEST_F(LoggingTest, JsonIsOneValidObjectPerLine) {
  const std::string line = Capture(Format::kJson, Level::kInfo, [] {
    Info("line\nbreak", {{"path", "/a\\b"}});
  });
  EXPECT_THAT(line, HasSubstr(R"("level":"info","msg":"line\nbreak","path":"/a\\b"})"));
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1);
}

TEST_F(LoggingTest, LevelFiltersAndPlainSpdlogCallsAreRendered) {
  const std::string out = Capture(Format::kLogfmt, Level::kWarn, [] {
    Info("hidden");
    spdlog::error("plain spdlog message");
  });
  EXPECT_THAT(out, ::testing::Not(HasSubstr("hidden")));
  EXPECT_THAT(out, HasSubstr("level=error msg=\"plain spdlog message\""));
}

TEST_F(LoggingTest, FlagValuesAreParsedOrRejectedByName) {
  Level level;
  Format format;
  EXPECT_TRUE(ParseLevel("debug", &level).ok());
  EXPECT_EQ(level, Level::kDebug);
  EXPECT_TRUE(ParseFormat("json", &format).ok());
  EXPECT_EQ(format, Format::kJson);
  EXPECT_THAT(std::string(ParseLevel("verbose", &level).message()), HasSubstr("log.level"));
  EXPECT_THAT(std::string(ParseFormat("xml", &format).message()), HasSubstr("log.format"));
}

}  // namespace
}  // namespace wecom_notify::logging
