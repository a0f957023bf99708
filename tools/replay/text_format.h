// Private to auction-replay: the few text encodings its outputs share (JSON strings and nulls,
// 64-bit digests in hex). Threading: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace auction::replay {

// `value` as a quoted JSON string appended to `out`: quotes and backslashes escaped, control
// characters as \u00XX, UTF-8 as is.
void append_json_string(std::string& out, std::string_view value);
std::string json_string(std::string_view value);

template <typename T>
std::string json_or_null(const std::optional<T>& value) {
  return value ? std::to_string(*value) : "null";
}

std::string hex64(std::uint64_t value);  // 16 lower-case hex digits

}  // namespace auction::replay
