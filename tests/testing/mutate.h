// File: tests/testing/mutate.h
//
// Mutate() makes a malformed neighbour of a valid input, for tests that decode thousands of
// them against a reference: a parser must answer each with a result or an error, never crash
// (the sanitizer build catches reads past the end), and agree with the reference. A fixed seed
// keeps every run the same, so a failure reproduces; the mutations mimic what goes wrong on
// the wire — a flipped bit, a lost or doubled span, a cut — and bytes that parsers special-case.

#ifndef WECOM_NOTIFY_TESTS_TESTING_MUTATE_H_
#define WECOM_NOTIFY_TESTS_TESTING_MUTATE_H_

#include <cstddef>
#include <cstdlib>
#include <random>
#include <string>

namespace wecom_notify::testing {

// The generator of a test's mutations: seeded with $MUTATION_SEED, else a fixed seed.
inline std::mt19937 MutationRandom() {
  const char* seed = std::getenv("MUTATION_SEED");
  return std::mt19937(seed != nullptr ? static_cast<std::mt19937::result_type>(std::atol(seed))
                                      : 20261207u);
}

// One to three mutations of `input`.
inline std::string Mutate(std::string input, std::mt19937& random) {
  static constexpr char kSpecial[] = {'\0', '\x01', '\x7f', '\x80', '\xff', '"',    '\\',   '{',
                                      '}',  '[',    ']',    ',',    ':',    '0',    '9',    '-',
                                      'e',  'u',    '\n',   '\x08', '\x0a', '\x12', '\x1a', '\x22'};
  auto below = [&random](std::size_t n) {
    return n == 0 ? std::size_t{0} : std::uniform_int_distribution<std::size_t>(0, n - 1)(random);
  };
  const std::size_t mutations = 1 + below(3);
  for (std::size_t m = 0; m < mutations; ++m) {
    const std::size_t at = below(input.size() + 1);
    switch (below(6)) {
      case 0:  // flip one bit
        if (at < input.size()) input[at] = static_cast<char>(input[at] ^ (1 << below(8)));
        break;
      case 1:  // a byte parsers treat specially, in place of one
        if (at < input.size()) input[at] = kSpecial[below(sizeof(kSpecial))];
        break;
      case 2:  // insert one
        input.insert(at, 1, kSpecial[below(sizeof(kSpecial))]);
        break;
      case 3:  // lose a span
        input.erase(at, 1 + below(16));
        break;
      case 4:  // double a span
        input.insert(at, input.substr(at, 1 + below(16)));
        break;
      default:  // cut the end off
        input.resize(at);
        break;
    }
  }
  return input;
}

}  // namespace wecom_notify::testing

#endif  // WECOM_NOTIFY_TESTS_TESTING_MUTATE_H_
