#include "values.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>

#include "auction/engine/duration_text.h"
#include "auction/engine/types.h"

namespace auctionctl {
namespace {

// The engine's limits (SPEC §1), so a value auctionctl takes is one the server takes.
constexpr std::int64_t kMaxAmount = auction::kMaxAmountMinor;

std::string quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

// Reads an unsigned decimal number at the front of `text`; advances past it.
std::optional<std::int64_t> take_number(std::string_view& text, std::size_t max_digits = 18) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
    ++digits;
  if (digits == 0 || digits > max_digits) return std::nullopt;
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + digits, value);
  text.remove_prefix(digits);
  return value;
}

bool take(std::string_view& text, char c) {
  if (text.empty() || text.front() != c) return false;
  text.remove_prefix(1);
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

}  // namespace

Parsed<std::int64_t> parse_amount(std::string_view text, std::int64_t min) {
  const std::string why = "bad amount " + quoted(text) +
                          ": an integer number of minor units (cents) from " + std::to_string(min) +
                          " to 10^15";
  std::string_view rest = text;
  const auto value = take_number(rest);
  if (!value || !rest.empty() || *value < min || *value > kMaxAmount) {
    return Parsed<std::int64_t>::fail(why);
  }
  return {value, {}};
}

int minor_digits(std::string_view currency) {
  const auto code = auction::CurrencyCode::parse(currency);
  return code ? code->minor_unit_digits() : 2;
}

bool is_currency(std::string_view text) {
  return text.size() == 3 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

bool is_reference(std::string_view text) {
  return !text.empty() && text.size() <= 64 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7F; });
}

Parsed<std::int64_t> parse_major_amount(std::string_view text, std::string_view currency) {
  const int digits = minor_digits(currency);
  const std::string example = digits == 0 ? "1000" : digits == 2 ? "123.45" : "12.345";
  const std::string why = "bad amount " + quoted(text) + ": " + std::string(currency) +
                          " in major units with at most " + std::to_string(digits) +
                          " decimals, e.g. " + example + " (or --amount-minor in minor units)";
  std::string_view rest = text;
  const auto whole = take_number(rest, 16);
  if (!whole || *whole > kMaxAmount) return Parsed<std::int64_t>::fail(why);
  std::int64_t value = *whole;  // ≤ 10^15: times 10^3 below cannot overflow
  std::size_t decimals = 0;
  std::int64_t fraction = 0;
  if (take(rest, '.')) {
    const std::size_t before = rest.size();
    const auto taken = take_number(rest, static_cast<std::size_t>(digits));
    if (!taken) return Parsed<std::int64_t>::fail(why);  // "5." or too many decimals
    decimals = before - rest.size();
    fraction = *taken;
  }
  for (int i = 0; i < digits; ++i)
    value *= 10;
  // "123.4" EUR: the decimals given are the leading minor digits (40 cents).
  for (std::size_t i = decimals; i < static_cast<std::size_t>(digits); ++i)
    fraction *= 10;
  value += fraction;
  if (!rest.empty() || value < 1 || value > kMaxAmount) return Parsed<std::int64_t>::fail(why);
  return {value, {}};
}

Parsed<DurationMs> parse_duration(std::string_view text) {
  DurationMs value = 0;
  switch (auction::parse_duration_ms(text, value)) {
    case auction::DurationError::none:
      return {value, {}};
    case auction::DurationError::too_long:
      return Parsed<DurationMs>::fail("bad duration " + quoted(text) + ": at most 366 days");
    case auction::DurationError::malformed:
      break;
  }
  return Parsed<DurationMs>::fail("bad duration " + quoted(text) +
                                  ": a number and a unit, e.g. 1500ms, 30s, 5m, 2h, 1d");
}

std::optional<TimeMs> civil_to_ms(int year, int month, int day, int hour, int minute, int second,
                                  int millisecond, std::optional<int> offset_minutes) {
  if (year < 1970 || year > 9999 || month < 1 || month > 12 || day < 1 ||
      day > days_in_month(year, month) || hour > 23 || minute > 59 || second > 59) {
    return std::nullopt;
  }
  if (offset_minutes) {
    const std::int64_t seconds =
        days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86'400 +
        hour * 3'600 + minute * 60 + second - *offset_minutes * 60;
    return seconds * 1'000 + millisecond;
  }
  std::tm local{};
  local.tm_year = year - 1900;
  local.tm_mon = month - 1;
  local.tm_mday = day;
  local.tm_hour = hour;
  local.tm_min = minute;
  local.tm_sec = second;
  local.tm_isdst = -1;  // let the zone's rules decide
  const std::time_t seconds = std::mktime(&local);
  if (seconds == static_cast<std::time_t>(-1)) return std::nullopt;
  return static_cast<TimeMs>(seconds) * 1'000 + millisecond;
}

Parsed<When> parse_when(std::string_view text) {
  const auto fail = [&] {
    return Parsed<When>::fail("bad time " + quoted(text) +
                              ": now, now+DURATION (now+5m) or ISO 8601 "
                              "(2026-12-01T18:00:00+01:00, ...Z, or local time without offset)");
  };
  if (text == "now") return {When{RelativeTime{0}}, {}};
  if (text.starts_with("now+")) {
    const auto duration = parse_duration(text.substr(4));
    if (!duration.value) return Parsed<When>::fail(duration.error);
    return {When{RelativeTime{*duration.value}}, {}};
  }
  std::string_view rest = text;
  const auto year = take_number(rest, 4);
  if (!year || !take(rest, '-')) return fail();
  const auto month = take_number(rest, 2);
  if (!month || !take(rest, '-')) return fail();
  const auto day = take_number(rest, 2);
  if (!day || !(take(rest, 'T') || take(rest, ' '))) return fail();
  const auto hour = take_number(rest, 2);
  if (!hour || !take(rest, ':')) return fail();
  const auto minute = take_number(rest, 2);
  if (!minute) return fail();
  std::int64_t second = 0, millisecond = 0;
  if (take(rest, ':')) {
    const auto s = take_number(rest, 2);
    if (!s) return fail();
    second = *s;
    if (take(rest, '.')) {
      const std::size_t before = rest.size();
      const auto fraction = take_number(rest, 3);
      if (!fraction) return fail();
      millisecond = *fraction * (before - rest.size() == 1   ? 100
                                 : before - rest.size() == 2 ? 10
                                                             : 1);
    }
  }
  std::optional<int> offset;
  if (take(rest, 'Z')) {
    offset = 0;
  } else if (!rest.empty() && (rest.front() == '+' || rest.front() == '-')) {
    const int sign = rest.front() == '-' ? -1 : 1;
    rest.remove_prefix(1);
    const auto hours = take_number(rest, 2);
    if (!hours || !take(rest, ':')) return fail();
    const auto minutes = take_number(rest, 2);
    if (!minutes || *hours > 23 || *minutes > 59) return fail();
    offset = sign * static_cast<int>(*hours * 60 + *minutes);
  }
  if (!rest.empty()) return fail();
  const auto ms =
      civil_to_ms(static_cast<int>(*year), static_cast<int>(*month), static_cast<int>(*day),
                  static_cast<int>(*hour), static_cast<int>(*minute), static_cast<int>(second),
                  static_cast<int>(millisecond), offset);
  if (!ms) return fail();
  return {When{*ms}, {}};
}

std::string iso_utc(TimeMs ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1'000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[96];  // room for any int the compiler imagines
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(ms % 1'000));
  return text;
}

std::string local_time(TimeMs ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1'000);
  std::tm local{};
  localtime_r(&seconds, &local);
  char text[64];
  std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S %Z", &local);
  return text;
}

std::string duration_text(DurationMs ms) {
  if (ms == 0) return "0s";
  if (ms % 1'000 != 0) return std::to_string(ms) + "ms";
  std::string text;
  for (const auto& [unit_ms, unit] : {std::pair<DurationMs, const char*>{86'400'000, "d"},
                                      {3'600'000, "h"},
                                      {60'000, "m"},
                                      {1'000, "s"}}) {
    if (ms >= unit_ms) {
      text += std::to_string(ms / unit_ms) + unit;
      ms %= unit_ms;
    }
  }
  return text;
}

std::string elapsed_text(DurationMs ms) {
  if (ms < 0) return "-" + elapsed_text(-ms);
  if (ms < 10'000) return std::to_string(ms / 1'000) + "." + std::to_string(ms % 1'000 / 100) + "s";
  return duration_text((ms + 500) / 1'000 * 1'000);
}

std::string money(std::int64_t amount_minor, std::string_view currency) {
  const int digits = minor_digits(currency);
  // The sign apart, so that -60 cents is "-0.60" (the world account is negative).
  const bool negative = amount_minor < 0;
  std::string text = std::to_string(amount_minor);
  if (negative) text.erase(0, 1);
  if (digits > 0) {
    if (text.size() <= static_cast<std::size_t>(digits)) {
      text.insert(0, static_cast<std::size_t>(digits) + 1 - text.size(), '0');
    }
    text.insert(text.size() - static_cast<std::size_t>(digits), ".");
  }
  return (negative ? "-" : "") + text + " " + std::string(currency);
}

namespace {
constexpr char kHexDigits[] = "0123456789abcdef";
}  // namespace

std::string one_line(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7F) {
      out += c;
    } else {
      out += c == '\n' ? std::string("\\n")
                       : std::string("\\x") + kHexDigits[(c >> 4) & 0xF] + kHexDigits[c & 0xF];
    }
  }
  return out;
}

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20) {
      out += "\\u00";
      out += kHexDigits[byte >> 4];
      out += kHexDigits[byte & 0xF];
    } else {
      out += c;
    }
  }
  out += '"';
}

std::string json_string(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

}  // namespace auctionctl
