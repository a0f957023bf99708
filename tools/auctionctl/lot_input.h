// A lot's fields as people type them (flags of `lots create`/`lots edit`, or a catalogue entry),
// checked and turned into the admin API's JSON (docs/ADMIN_API.md).
//
// Contract: add() checks one field's text (ids, amounts, durations, times per values.h) and
// returns an error sentence, or stores the API field(s). Relative times stay relative
// (`starts_in_ms`): the server's clock resolves them. Threading: plain values.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace auctionctl {

// The lot fields people use, in the order tables and errors list them.
inline constexpr std::string_view kLotFieldNames[] = {
    "id",      "title",     "seller", "currency",  "start_price",     "increment",  "reserve",
    "deposit", "starts_at", "timed",  "extension", "latest_close_at", "increments", "max_bids"};

bool is_lot_field(std::string_view name);
// SPEC §4.1 as people write a table: "0:500,10000:1000" (band start:increment, minor units).
// The API's JSON ([[0,500],[10000,1000]]), or an error sentence naming what is wrong.
std::optional<std::string> increments_json(std::string_view text, std::string& json);
// SPEC §1: 1-32 characters of [A-Za-z0-9_-] (lot and user ids).
bool valid_id(std::string_view text);

class LotInput {
 public:
  // Checks `text` as the value of `field` (one of kLotFieldNames); an error sentence or none.
  std::optional<std::string> add(std::string_view field, std::string_view text);
  // Adds `delta_ms` to a start given as text (catalogue staggering); call after add("starts_at").
  void shift_start(std::int64_t delta_ms);
  bool has(std::string_view field) const { return fields_.count(std::string(field)) != 0; }
  bool empty() const { return json_.empty(); }
  // The API object: {"id":...,"start_price":...,...}.
  std::string json() const;

 private:
  std::map<std::string, std::string> fields_;  // people's field → its text, as given
  std::map<std::string, std::string> json_;    // API field → JSON value
};

}  // namespace auctionctl
