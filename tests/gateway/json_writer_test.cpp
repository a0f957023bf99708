// The server's JSON writer: every string it writes reads back as the same text (RFC 8259
// escapes for quotes, backslashes and control characters; UTF-8 passed through), whatever mix of
// plain runs and escapes it holds. Seeded: AUCTION_SEED replays a seed, printed on failure.
#include "auction/gateway/json_writer.h"

#include <doctest/doctest.h>
#include <simdjson.h>

#include <array>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

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

TEST_CASE("JSON fields: keys and values past a field's piece, or with escapes, read back whole") {
  const std::string long_key(200, 'k');
  const std::string long_value(300, 'v');
  const std::string quoted_key = "a\"b";
  std::string out;
  JsonWriter(out)
      .begin_object()
      .field(long_key, long_value)
      .field(quoted_key, std::int64_t{-9'223'372'036'854'775'807 - 1})
      .field(long_key + "2", std::uint64_t{18'446'744'073'709'551'615u})
      .field(std::string_view("t\n"), true)  // as a literal key it would not compile
      .field_null(long_key + "3")
      .begin_object(long_key + "4")
      .field(quoted_key, "x\\y")
      .end_object()
      .begin_array(quoted_key + "5")
      .value(long_value)
      .end_array()
      .end_object();
  simdjson::ondemand::parser parser;
  const simdjson::padded_string padded(out);
  simdjson::ondemand::document doc = parser.iterate(padded);
  simdjson::ondemand::object object = doc.get_object();
  std::vector<std::string> keys;
  for (auto field : object) {
    std::string_view key = field.unescaped_key();
    keys.emplace_back(key);
    if (key == long_key) CHECK(std::string_view(field.value().get_string()) == long_value);
    if (key == quoted_key) CHECK(std::int64_t(field.value().get_int64()) == INT64_MIN);
    if (key == long_key + "2") CHECK(std::uint64_t(field.value().get_uint64()) == UINT64_MAX);
    if (key == "t\n") CHECK(bool(field.value().get_bool()));
    if (key == long_key + "3") CHECK(field.value().is_null().value());
    if (key == long_key + "4") {  // simdjson's lookup by name compares raw keys: walk instead
      int inner_fields = 0;
      for (auto inner : field.value().get_object()) {
        ++inner_fields;
        CHECK(std::string_view(inner.unescaped_key()) == quoted_key);
        CHECK(std::string_view(inner.value().get_string()) == "x\\y");
      }
      CHECK(inner_fields == 1);
    }
    if (key == quoted_key + "5") {
      std::vector<std::string> items;
      for (auto item : field.value().get_array())
        items.emplace_back(std::string_view(item.get_string()));
      CHECK(items == std::vector<std::string>{long_value});
    }
  }
  CHECK(keys == std::vector<std::string>{long_key, quoted_key, long_key + "2", "t\n",
                                         long_key + "3", long_key + "4", quoted_key + "5"});
}

TEST_CASE("JSON integers: every count of digits, at both edges, as std::to_string writes it") {
  std::vector<std::uint64_t> values = {0, UINT64_MAX, UINT64_MAX - 1};
  for (std::uint64_t power = 1; power <= UINT64_MAX / 10; power *= 10) {
    values.insert(values.end(), {power - 1, power, power + 1, power * 10 - 1});
  }
  for (const std::uint64_t value : values) {
    std::string out;
    JsonWriter(out).begin_object().field("u", value).end_object();
    CHECK(out == "{\"u\":" + std::to_string(value) + "}");
    if (value > static_cast<std::uint64_t>(INT64_MAX)) continue;
    for (const std::int64_t signed_value :
         {static_cast<std::int64_t>(value), -static_cast<std::int64_t>(value)}) {
      out.clear();
      JsonWriter(out).begin_object().field("i", signed_value).end_object();
      CHECK(out == "{\"i\":" + std::to_string(signed_value) + "}");
    }
  }
  std::string out;
  JsonWriter(out).begin_object().field("min", std::int64_t{INT64_MIN}).end_object();
  CHECK(out == "{\"min\":" + std::to_string(INT64_MIN) + "}");
}

TEST_CASE("JSON keys: a literal key and the same key as text write the same bytes") {
  const std::string name = "deadline_ms";
  std::string literal, text;
  JsonWriter(literal)
      .begin_object()
      .field("deadline_ms", std::int64_t{5})
      .field("x", "y")
      .end_object();
  JsonWriter(text)
      .begin_object()
      .field(name, std::int64_t{5})
      .field(std::string("x"), "y")
      .end_object();
  CHECK(literal == R"({"deadline_ms":5,"x":"y"})");
  CHECK(text == literal);
}
