// Strict reading of JSON with simdjson's on-demand parser (gateway-internal).
//
// Contract: on-demand parsing checks a document's structure, not the spelling of the scalars it
// skips ("tru", "0100", "1."), so a reader that takes only some fields would accept a document
// that is not JSON. check_json_value() reads a value through (every string, number and literal
// of it, at most kMaxJsonNestingDepth levels deep) and says what is wrong, if anything.
// at_json_end() says whether anything follows the root value. is_json_number() is RFC 8259's
// number grammar on a raw token. trim_right() drops the whitespace simdjson leaves after one.
// Threading: pure functions; the value belongs to the caller's parser.
#pragma once

#include <simdjson.h>

#include <optional>
#include <string_view>

namespace auction::gateway {

// Nothing the server reads nests; this bounds the walk over what it does not use.
inline constexpr int kMaxJsonNestingDepth = 64;  // named in check_json_value()'s message

std::string_view trim_right(std::string_view token);

// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view token);

// Nothing when `value` is JSON all through; else "not JSON" or "nested deeper than 64 levels".
// `value` is consumed. `depth` is the value's own depth in the document (a field's value: 1).
std::optional<std::string_view> check_json_value(simdjson::ondemand::value value, int depth = 1);

// Whether `doc` ends where its root value, read through, ended: a second value after it ("{} {}")
// makes the input something other than JSON.
bool at_json_end(simdjson::ondemand::document& doc);

}  // namespace auction::gateway
