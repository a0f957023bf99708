// The JSON number check every bid's amount goes through (gateway/src/json_check.h), against a
// naive reference: RFC 8259's grammar as a regular expression. Seeded random tokens from the
// characters a number is made of: AUCTION_SEED replays a seed, printed on failure.
#include "json_check.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <random>
#include <regex>
#include <string>

using auction::gateway::is_json_number;

namespace {

bool reference(const std::string& token) {
  static const std::regex kNumber(R"(-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?)");
  return std::regex_match(token, kNumber);
}

}  // namespace

TEST_CASE("JSON numbers: the grammar's edges") {
  for (const char* good : {"0", "-0", "7", "1234550", "0.5", "-1.25", "1e5", "1E+5", "2.5e-3"}) {
    CHECK_MESSAGE(is_json_number(good), good);
  }
  for (const char* bad : {"", "-", "01", "-01", "1.", ".5", "1e", "1e+", "+1", "1.5.3", "1ee5",
                          "0x10", "1 ", "--1", "1e5.5", "NaN"}) {
    CHECK_MESSAGE(!is_json_number(bad), bad);
  }
}

TEST_CASE("JSON numbers: seeded random tokens agree with the grammar") {
  const std::uint64_t seed = std::getenv("AUCTION_SEED") != nullptr
                                 ? std::strtoull(std::getenv("AUCTION_SEED"), nullptr, 10)
                                 : std::random_device{}();
  INFO("seed " << seed << " (AUCTION_SEED=" << seed << " replays it)");
  static constexpr std::string_view kChars = "-+.eE0123456789x";
  std::mt19937_64 random(seed);
  int valid = 0;
  for (int i = 0; i < 50'000; ++i) {
    std::string token;
    for (auto n = random() % 9; n > 0; --n)
      token += random() % 2 == 0 ? kChars[random() % kChars.size()]
                                 : kChars[5 + random() % 10];  // a digit: more of them
    const bool expected = reference(token);
    valid += expected ? 1 : 0;
    REQUIRE_MESSAGE(is_json_number(token) == expected, token);
  }
  CHECK(valid > 1'000);  // the tokens exercise the accepting paths too
}
