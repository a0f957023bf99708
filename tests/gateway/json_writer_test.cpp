// The server's JSON writer: every string it writes reads back as the same text (RFC 8259
// escapes for quotes, backslashes and control characters; UTF-8 passed through), whatever mix of
// plain runs and escapes it holds. Seeded: AUCTION_SEED replays a seed, printed on failure.
#include "auction/gateway/json_writer.h"

#include <doctest/doctest.h>
#include <simdjson.h>

#include <array>
#include <cstdlib>
#include <random>
#include <string>

using namespace auction::gateway;

namespace {

std::string read_back(const std::string& json) {
  simdjson::ondemand::parser parser;
  const simdjson::padded_string padded(json);
  simdjson::ondemand::document doc = parser.iterate(padded);
  std::string_view text;
  REQUIRE_MESSAGE(doc["s"].get_string().get(text) == simdjson::SUCCESS, json);
  return std::string(text);
}

std::string written(std::string_view text) {
  std::string out;
  JsonWriter(out).begin_object().field("s", text).end_object();
  return out;
}

}  // namespace

TEST_CASE("JSON strings: each escape as RFC 8259 writes it") {
  CHECK(written("plain") == R"({"s":"plain"})");
  CHECK(written("a\"b") == R"({"s":"a\"b"})");
  CHECK(written("a\\b") == R"({"s":"a\\b"})");
  CHECK(written("\n\r\t") == R"({"s":"\n\r\t"})");
  CHECK(written(std::string("\x01\x1f", 2)) == R"({"s":"\u0001\u001f"})");
  CHECK(written(std::string(1, '\0')) == R"({"s":"\u0000"})");
  CHECK(written("Müller €5 😀 /") == "{\"s\":\"Müller €5 😀 /\"}");  // UTF-8 and '/' as they are
  CHECK(written("") == R"({"s":""})");
}

TEST_CASE("JSON strings: random mixes of plain runs and escapes read back as written") {
  const std::uint64_t seed = std::getenv("AUCTION_SEED") != nullptr
                                 ? std::strtoull(std::getenv("AUCTION_SEED"), nullptr, 10)
                                 : std::random_device{}();
  INFO("seed " << seed << " (AUCTION_SEED=" << seed << " replays it)");
  static const std::array<std::string, 13> kPieces = {
      "a", "xyz", " ", "\"", "\\", "\n", "\r", "\t", std::string(1, '\x01'), "\x1f", "é", "€", "😀"};
  std::mt19937_64 random(seed);
  std::uniform_int_distribution<std::size_t> piece(0, kPieces.size() - 1);
  std::uniform_int_distribution<int> length(0, 24);
  for (int i = 0; i < 2'000; ++i) {
    std::string text;
    for (int n = length(random); n > 0; --n)
      text += kPieces[piece(random)];
    CHECK(read_back(written(text)) == text);
  }
}
