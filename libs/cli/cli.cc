#include "libs/cli/cli.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "libs/common/file_watcher.h"
#include "libs/logging/logging.h"
#include "libs/metrics/version.h"

namespace wecom_notify::cli {

void DisableMutexDeadlockDetection() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

namespace po = boost::program_options;

void AddLogFlags(po::options_description& options, LogFlags& flags) {
  options.add_options()
      ("log.level", po::value(&flags.level)->default_value(flags.level),
       "Only log messages with the given severity or above: debug, info, warn, error.")
      ("log.format", po::value(&flags.format)->default_value(flags.format),
       "Output format of log messages: logfmt or json.");
}

int ParseCommandLine(int argc, char** argv, const std::string& usage,
                     po::options_description& options, const LogFlags& log_flags) {
  options.add_options()
      ("help,h", "Show this help and exit.")
      ("version", "Show the version and exit.");
  po::variables_map vm;
  try {
    // Exact flag names only: a truncated flag (--storage for --storage.path) is an error, not a
    // guess.
    po::store(po::command_line_parser(argc, argv)
                  .options(options)
                  .style(po::command_line_style::default_style &
                         ~po::command_line_style::allow_guessing)
                  .run(),
              vm);
    if (vm.count("help")) {
      std::cout << usage << "\n\n" << options << std::endl;
      return 0;
    }
    if (vm.count("version")) {
      std::cout << argv[0] << " " << metrics::kVersion << std::endl;
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << argv[0] << ": " << e.what() << "\nTry --help." << std::endl;
    return 2;
  }
  logging::Level level;
  logging::Format format;
  for (const absl::Status& status :
       {logging::ParseLevel(log_flags.level, &level), logging::ParseFormat(log_flags.format, &format)}) {
    if (!status.ok()) {
      std::cerr << argv[0] << ": " << status.message() << "\nTry --help." << std::endl;
      return 2;
    }
  }
  logging::Init(level, format);
  return -1;
}

absl::StatusOr<std::string> ReadSecretFlag(const std::string& flag, const std::string& path) {
  if (path.empty()) return std::string();
  absl::StatusOr<std::string> secret = ReadSecret(path);
  if (!secret.ok()) {
    return absl::Status(secret.status().code(),
                        absl::StrCat("--", flag, ": ", secret.status().message()));
  }
  return secret;
}

}  // namespace wecom_notify::cli
