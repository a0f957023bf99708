#include "auction/engine/duration_text.h"

#include <charconv>

namespace auction {
namespace {

// At most 12 digits: a number of milliseconds past 366 days is refused before it can overflow.
constexpr std::size_t kMaxDigits = 12;

DurationMs unit_ms(std::string_view& rest) {
  if (rest.starts_with("ms")) {
    rest.remove_prefix(2);
    return 1;
  }
  if (rest.empty()) return 0;
  const char unit = rest.front();
  rest.remove_prefix(1);
  switch (unit) {
    case 's':
      return 1'000;
    case 'm':
      return 60'000;
    case 'h':
      return 3'600'000;
    case 'd':
      return 86'400'000;
    default:
      return 0;
  }
}

}  // namespace

DurationError parse_duration_ms(std::string_view text, DurationMs& out) {
  if (text == "0") {
    out = 0;
    return DurationError::none;
  }
  if (text.empty()) return DurationError::malformed;
  DurationMs total = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    std::size_t digits = 0;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9')
      ++digits;
    if (digits == 0 || digits > kMaxDigits) return DurationError::malformed;
    DurationMs number = 0;
    std::from_chars(rest.data(), rest.data() + digits, number);
    rest.remove_prefix(digits);
    const DurationMs unit = unit_ms(rest);
    if (unit == 0) return DurationError::malformed;
    if (number > kMaxDurationMs / unit) return DurationError::too_long;
    total += number * unit;
    if (total > kMaxDurationMs) return DurationError::too_long;
  }
  out = total;
  return DurationError::none;
}

}  // namespace auction
