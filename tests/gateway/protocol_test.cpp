// The bidder message decoder on its own: a frame is taken only if all of it is JSON, a field
// named twice is refused, and an invalid amount is kept for the echo only in a form every JSON
// reader takes back.
#include "auction/gateway/protocol.h"

#include <doctest/doctest.h>
#include <simdjson.h>

#include <string>

using namespace auction;
using namespace auction::gateway;

namespace {

struct Decoded {
  std::optional<ProtocolError> error;
  Request request;
};

Decoded decode(const std::string& text) {
  PaddedFrame frame;
  frame.assign(text);
  Decoded out;
  out.error = decode_request(frame, out.request);
  return out;
}

std::string bid_with_amount(const std::string& amount) {
  return R"({"type":"bid","id":"b","lot":"lamp","amount":)" + amount + "}";
}

// Whether `json` is read back by simdjson's DOM parser, the strictest reader at hand: it also
// refuses numbers past a double's range and integers past 2^64.
bool strict_json(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  return parser.parse(simdjson::padded_string(json)).get(root) == simdjson::SUCCESS;
}

}  // namespace

TEST_CASE("a well-formed bid decodes, whatever well-formed fields come with it") {
  const auto decoded =
      decode(R"({"type":"bid","lot":"lamp","amount":10500,"id":"b1",)"
             R"("extra":{"a":[1,-2.5e-3,{"b":null}],"c":"\u00e9","d":true,"e":false}}  )");
  REQUIRE_FALSE(decoded.error);
  CHECK(decoded.request.type == RequestType::bid);
  CHECK(decoded.request.amount_valid);
  CHECK(decoded.request.amount_minor == 10500);
  CHECK(decoded.request.id == std::optional<std::string>("b1"));
}

TEST_CASE("a frame with anything that is not JSON is bad_request, even in a field not used") {
  for (const std::string& text : {
           bid_with_amount("0100"),
           bid_with_amount("00"),
           bid_with_amount("1."),
           bid_with_amount("-"),
           bid_with_amount(".5"),
           bid_with_amount("1e"),
           bid_with_amount("10500, \"x\":tru"),
           bid_with_amount("10500, \"x\":nul"),
           bid_with_amount("10500, \"x\":[1,2,01]"),
           bid_with_amount("10500, \"x\":{\"y\":falsey}"),
           bid_with_amount("10500, \"x\":\"\\q\""),
           bid_with_amount("10500") + R"( {"type":"ping"})",
           std::string(R"({"type":"ping"} {"type":"ping"})"),
       }) {
    CAPTURE(text);
    const auto decoded = decode(text);
    REQUIRE(decoded.error);
    CHECK(decoded.error->code == "bad_request");
  }
}

TEST_CASE("nesting is bounded: 63 levels inside the message are fine, 64 are not") {
  const auto nested = [](int depth) {
    return R"({"type":"ping","id":"n","deep":)" + std::string(depth, '[') +
           std::string(depth, ']') + "}";
  };
  CHECK_FALSE(decode(nested(63)).error);
  const auto deep = decode(nested(64));
  REQUIRE(deep.error);
  CHECK(deep.error->code == "bad_request");
  CHECK(deep.error->message == "nested deeper than 64 levels");
}

TEST_CASE("a field named twice is bad_request, and the id still comes back") {
  for (const std::string& text : {
           std::string(R"({"type":"bid","id":"d","lot":"lamp","amount":10000,"amount":99000})"),
           std::string(R"({"type":"bid","id":"d","lot":"lamp","lot":"clock","amount":10000})"),
           std::string(R"({"type":"ping","type":"lots","id":"d"})"),
       }) {
    CAPTURE(text);
    const auto decoded = decode(text);
    REQUIRE(decoded.error);
    CHECK(decoded.error->code == "bad_request");
    CHECK(decoded.error->message.find("named twice") != std::string::npos);
    CHECK(decoded.error->id == std::optional<std::string>("d"));
  }
}

TEST_CASE("an invalid amount is echoed as written only when every reader takes it back") {
  struct Case {
    std::string amount;
    std::string echo;  // empty: echoed as null
  };
  const std::string long_string = "\"" + std::string(60, 'a') + "\"";
  for (const Case& c : {
           Case{"10500.0", "10500.0"}, Case{"1.05e4", "1.05e4"}, Case{"-10500", "-10500"},
           Case{"-0", "-0"}, Case{"0", "0"}, Case{"1000000000000001", "1000000000000001"},
           Case{"\"10500\"", "\"10500\""}, Case{R"("\u0041\n\"x")", R"("\u0041\n\"x")"},
           Case{"true", "true"}, Case{"null", "null"},
           Case{"1E400", ""},                    // past a double: some readers refuse it
           Case{"99999999999999999999999", ""},  // past 2^64
           Case{"{\"a\":1}", ""}, Case{"[1,2]", ""},
           Case{long_string, ""},  // cut short it would no longer be JSON
       }) {
    CAPTURE(c.amount);
    const auto decoded = decode(bid_with_amount(c.amount));
    REQUIRE_FALSE(decoded.error);
    CHECK_FALSE(decoded.request.amount_valid);
    CHECK(decoded.request.amount_json == c.echo);
    const std::string echo = c.echo.empty() ? "null" : c.echo;
    CHECK(strict_json(R"({"type":"rejected","amount":)" + echo + "}"));
  }
}
