// The values people type and read in auctionctl: amounts, durations, times.
//
// Contract: parsers accept exactly the forms docs/AUCTIONCTL.md lists and otherwise return an
// error sentence naming the value and the accepted forms; nothing is ever rounded. Formatters
// are for tables (local time zone, major currency units) and JSON (ISO 8601 UTC).
// Threading: pure functions (the local time zone is read from the environment).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace auctionctl {

using TimeMs = std::int64_t;
using DurationMs = std::int64_t;

// A parse result: the value or a sentence saying what is wrong.
template <class T>
struct Parsed {
  std::optional<T> value;
  std::string error;
  static Parsed fail(std::string why) { return {std::nullopt, std::move(why)}; }
};

// An integer number of minor units in [min, 10^15].
Parsed<std::int64_t> parse_amount(std::string_view text, std::int64_t min = 1);
// An amount in the currency's major unit ("123.45" EUR → 12345 minor units): digits, then
// optionally "." and at most minor_digits(currency) digits; the result in [1, 10^15] minor units.
Parsed<std::int64_t> parse_major_amount(std::string_view text, std::string_view currency);
// Digits of the minor unit (ISO 4217): 2 mostly, 0 for JPY and others, 3 for BHD and others.
int minor_digits(std::string_view currency);
// SPEC §1: an ISO 4217 code's shape, three capital letters.
bool is_currency(std::string_view text);
// An external payment reference: 1-64 printable ASCII characters, no spaces.
bool is_reference(std::string_view text);
// "1500ms", "30s", "5m", "2h", "1d", several ("1h30m"), or "0".
Parsed<DurationMs> parse_duration(std::string_view text);

// A start or close time: relative to the server's clock, or absolute.
struct RelativeTime {
  DurationMs after_now_ms = 0;
};
using When = std::variant<RelativeTime, TimeMs>;
// "now", "now+DURATION", ISO 8601 with "Z" or "±HH:MM", or without an offset (local time);
// 'T' or ' ' between date and time; seconds and milliseconds optional.
Parsed<When> parse_when(std::string_view text);
// A calendar time in the given offset from UTC (minutes), or in the local zone when none.
std::optional<TimeMs> civil_to_ms(int year, int month, int day, int hour, int minute, int second,
                                  int millisecond, std::optional<int> offset_minutes);

std::string iso_utc(TimeMs ms);            // "2026-11-22T10:00:39.836Z"
std::string local_time(TimeMs ms);         // "2026-11-22 11:00:39 CET"
std::string duration_text(DurationMs ms);  // "1h30m", "45s", "1500ms", "0s"
// A span of time as people read it in a report: "4.2s" under 10 s, then to the second:
// "1m54s", "2h5m7s" (duration_text() is exact, for values that must read back the same).
std::string elapsed_text(DurationMs ms);
// 10000 EUR → "100.00 EUR" (ISO 4217 minor units: 0 for JPY and others, 3 for BHD and others).
std::string money(std::int64_t amount_minor, std::string_view currency);
// `text` on one line: line breaks as \n, other control characters as \xHH (errors quote what
// people wrote, which may hold them; an error is one line).
std::string one_line(std::string_view text);
// `text` as a quoted JSON string (RFC 8259): quotes and backslashes escaped, control characters
// as \u00XX, UTF-8 as is. auctionctl's request bodies and output, auction-replay's exports.
void append_json_string(std::string& out, std::string_view text);
std::string json_string(std::string_view text);

}  // namespace auctionctl
