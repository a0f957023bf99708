// Strict reading of admin requests, shared by the admin API's route files: the error shape
// (Problem → {"error":{"code","message"[,"field"][,"lot"][,"index"]}}) and the JSON field checks.
//
// Contract: every check returns the first problem found, naming the field; amounts are JSON
// integers only (a fraction, exponent, sign or string is refused, never rounded).
// Threading: plain functions; a Fields reads one parsed document on one thread.
#pragma once

#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "auction/engine/types.h"
#include "auction/gateway/admin_api.h"
#include "auction/gateway/json_writer.h"

namespace auction::gateway::admin {

namespace dom = simdjson::dom;

// What was wrong with a request, and where.
struct Problem {
  unsigned status = 400;
  std::string code = "bad_request";
  std::string message;
  std::string field;
  std::string lot;
  std::optional<std::size_t> index;  // the lot's position in a catalogue
};

using Check = std::optional<Problem>;

inline Problem problem(unsigned status, std::string code, std::string message,
                       std::string field = {}) {
  return Problem{status, std::move(code), std::move(message), std::move(field), {}, {}};
}

inline AdminResponse respond(const Problem& p) {
  AdminResponse response{p.status, {}};
  JsonWriter w(response.body);
  w.begin_object().begin_object("error").field("code", p.code).field("message", p.message);
  if (!p.field.empty()) w.field("field", p.field);
  if (!p.lot.empty()) w.field("lot", p.lot);
  if (p.index) w.field("index", std::uint64_t{*p.index});
  w.end_object().end_object();
  return response;
}

inline AdminResponse unavailable() {
  return respond(problem(503, "unavailable",
                         "the server did not apply the command (journal "
                         "full or failed, or shutting down): nothing changed"));
}

// The fields of one JSON object, read strictly.
class Fields {
 public:
  explicit Fields(dom::object object) : object_(object) {}

  Check only(std::initializer_list<std::string_view> known) const {
    return only(std::span<const std::string_view>(known.begin(), known.size()));
  }
  // Every field is one of `known`, each at most once: a money field named twice would be read
  // as its first value by this server and maybe its last by a proxy in front of it.
  Check only(std::span<const std::string_view> known) const {
    std::vector<std::string_view> seen;
    for (const auto field : object_) {
      if (std::find(known.begin(), known.end(), field.key) == known.end()) {
        return problem(400, "bad_request", "unknown field \"" + std::string(field.key) + "\"",
                       std::string(field.key));
      }
      if (std::find(seen.begin(), seen.end(), field.key) != seen.end()) {
        return problem(400, "bad_request", "field named twice: \"" + std::string(field.key) + "\"",
                       std::string(field.key));
      }
      seen.push_back(field.key);
    }
    return std::nullopt;
  }
  bool has(std::string_view key) const { return object_[key].error() == simdjson::SUCCESS; }
  bool is_null(std::string_view key) const {
    dom::element value;
    return object_[key].get(value) == simdjson::SUCCESS && value.is_null();
  }

  Check missing(std::string_view key) const {
    return problem(400, "bad_request", "missing field \"" + std::string(key) + "\"",
                   std::string(key));
  }
  Check text(std::string_view key, std::string_view& out) const {
    if (object_[key].get(out) != simdjson::SUCCESS) {
      return problem(400, "bad_request", std::string(key) + " must be a string", std::string(key));
    }
    return std::nullopt;
  }
  template <class Id>
  Check id(std::string_view key, Id& out) const {
    std::string_view text_value;
    if (Check c = text(key, text_value)) return c;
    const auto parsed = Id::parse(text_value);
    if (!parsed) {
      return problem(400, "invalid_id",
                     std::string(key) + " must be 1-32 characters of A-Z a-z 0-9 _ -",
                     std::string(key));
    }
    out = *parsed;
    return std::nullopt;
  }
  // A JSON integer in [lo, hi]: a fraction, exponent or string is refused, never rounded.
  Check integer(std::string_view key, std::int64_t& out, std::int64_t lo, std::int64_t hi,
                std::string_view code = "bad_request") const {
    dom::element value;
    if (object_[key].get(value) != simdjson::SUCCESS) return missing(key);
    const std::string range = "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
    if (value.type() != dom::element_type::INT64 || value.get_int64().value() < lo ||
        value.get_int64().value() > hi) {
      return problem(code == "bad_request" ? 400 : 422, std::string(code),
                     std::string(key) + " must be an integer in " + range, std::string(key));
    }
    out = value.get_int64().value();
    return std::nullopt;
  }
  Check amount(std::string_view key, AmountMinor& out, AmountMinor lo = 1) const {
    return integer(key, out, lo, kMaxAmountMinor, "invalid_amount");
  }
  Check boolean(std::string_view key, bool& out) const {
    if (object_[key].get(out) != simdjson::SUCCESS) {
      return problem(400, "bad_request", std::string(key) + " must be true or false",
                     std::string(key));
    }
    return std::nullopt;
  }
  // SPEC §4.1: [[from, increment], ...], whole amounts only (a fraction is refused, never
  // rounded), at most kMaxIncrementBands; the engine judges the order and the first band.
  Check increments(std::string_view key, std::vector<IncrementBand>& out) const {
    dom::array bands;
    const auto bad = [&](const std::string& why) {
      return problem(422, "invalid_config", std::string(key) + ": " + why, std::string(key));
    };
    if (object_[key].get(bands) != simdjson::SUCCESS) {
      return bad("must be an array of [from, increment] pairs");
    }
    out.clear();
    for (dom::element band : bands) {
      dom::array pair;
      if (out.size() == kMaxIncrementBands) {
        return bad("at most " + std::to_string(kMaxIncrementBands) + " bands");
      }
      if (band.get(pair) != simdjson::SUCCESS || pair.size() != 2) {
        return bad("each band is a pair [from, increment]");
      }
      std::int64_t from = 0, step = 0;
      if (pair.at(0).type() != dom::element_type::INT64 ||
          pair.at(1).type() != dom::element_type::INT64 ||
          pair.at(0).get(from) != simdjson::SUCCESS || pair.at(1).get(step) != simdjson::SUCCESS) {
        return bad("band amounts are whole numbers in minor units");
      }
      out.push_back(IncrementBand{from, step});
    }
    if (out.empty()) return bad("give at least one band, or leave the field out");
    return std::nullopt;
  }

 private:
  dom::object object_;
};

// A lot configuration from JSON: every field for a new lot (`base` null), or the fields to change
// on top of `base`; relative times from `now_ms` (admin_lot_config.cpp).
Check lot_config(const Fields& f, const LotConfig* base, TimeMs now_ms, LotConfig& c);

// Parses a JSON body that must be an object.
inline Check parse_object(dom::parser& parser, std::string_view body, dom::object& out) {
  const auto error = parser.parse(body.data(), body.size()).get(out);
  // simdjson refuses the whole document for a number beyond 64 bits; SPEC §1 wants such an
  // amount named invalid_amount, not "not JSON".
  if (error == simdjson::NUMBER_ERROR) {
    return problem(422, "invalid_amount",
                   "a number in the body is malformed or out of range: amounts are JSON "
                   "integers 1..10^15");
  }
  if (error != simdjson::SUCCESS) {
    return problem(400, "bad_request", "the body must be a JSON object");
  }
  return std::nullopt;
}

}  // namespace auction::gateway::admin
