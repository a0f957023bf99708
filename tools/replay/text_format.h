// Private to auction-replay: the few text encodings its outputs share (JSON strings and nulls,
// 64-bit digests in hex). Threading: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auctionctl/values.h"

namespace auction::replay {

// JSON strings: the one encoder auctionctl uses too (values.h).
using auctionctl::append_json_string;
using auctionctl::json_string;

template <typename T>
std::string json_or_null(const std::optional<T>& value) {
  return value ? std::to_string(*value) : "null";
}

std::string hex64(std::uint64_t value);  // 16 lower-case hex digits

}  // namespace auction::replay
