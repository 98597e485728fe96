// File: tests/http_flags/parse_flags.h
//
// Parses a command line holding only one flag set's flags, as a binary's main would.

#ifndef WECOM_NOTIFY_TESTS_HTTP_FLAGS_PARSE_FLAGS_H_
#define WECOM_NOTIFY_TESTS_HTTP_FLAGS_PARSE_FLAGS_H_

#include <boost/program_options.hpp>
#include <string>
#include <vector>

namespace wecom_notify::http_flags {

// `Flags` has AddTo(options_description&), as ServerFlags and AuthFlags do.
template <typename Flags>
void ParseFlags(Flags& flags, const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  po::options_description description;
  flags.AddTo(description);
  std::vector<const char*> argv = {"binary"};
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  po::variables_map values;
  po::store(po::parse_command_line(static_cast<int>(argv.size()), argv.data(), description),
            values);
  po::notify(values);
}

}  // namespace wecom_notify::http_flags

#endif  // WECOM_NOTIFY_TESTS_HTTP_FLAGS_PARSE_FLAGS_H_
