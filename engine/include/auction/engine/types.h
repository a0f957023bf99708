// Vocabulary types shared by every layer: sequence numbers, times, integer money, identifiers.
//
// Contract: amounts are integers in a currency's minor unit (SPEC §1); a valid amount is
// 1 ≤ amount ≤ 10^15. Times are Unix epoch milliseconds; every time the engine accepts lies in
// [0, kMaxTimeMs] and every duration in [0, kMaxDurationMs], so sums of a time and a duration can
// never overflow. Identifiers are 1–32 characters of [A-Za-z0-9_-], stored inline (no allocation).
// Threading: plain values; no shared state.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace auction {

using Seq = std::uint64_t;         // position in the single total order of commands
using TimeMs = std::int64_t;       // Unix epoch milliseconds
using DurationMs = std::int64_t;   // milliseconds
using AmountMinor = std::int64_t;  // integer amount in a currency's minor unit

inline constexpr AmountMinor kMinAmountMinor = 1;
inline constexpr AmountMinor kMaxAmountMinor = 1'000'000'000'000'000;  // 10^15
inline constexpr TimeMs kMaxTimeMs = 253'402'300'799'999;              // 9999-12-31T23:59:59.999Z
inline constexpr DurationMs kMaxDurationMs = 366LL * 24 * 60 * 60 * 1000;

constexpr bool is_valid_amount(AmountMinor amount_minor) {
  return amount_minor >= kMinAmountMinor && amount_minor <= kMaxAmountMinor;
}
constexpr bool is_valid_time(TimeMs time_ms) {
  return time_ms >= 0 && time_ms <= kMaxTimeMs;
}
constexpr bool is_valid_duration(DurationMs duration_ms) {
  return duration_ms >= 0 && duration_ms <= kMaxDurationMs;
}

constexpr bool is_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// An identifier of 1–32 characters of [A-Za-z0-9_-], zero padded so that equality and hashing
// work on whole words. A default-constructed id is empty, which no valid id is; the engine uses
// the empty id for "none" (no leader yet).
template <typename Tag>
class BasicId {
 public:
  static constexpr std::size_t kMaxLength = 32;

  constexpr BasicId() = default;

  // Returns the id, or nothing when `text` is not 1–32 characters of [A-Za-z0-9_-].
  static constexpr std::optional<BasicId> parse(std::string_view text) {
    if (text.empty() || text.size() > kMaxLength) return std::nullopt;
    BasicId id;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (!is_id_char(text[i])) return std::nullopt;
      id.chars_[i] = text[i];
    }
    id.size_ = static_cast<std::uint8_t>(text.size());
    return id;
  }

  constexpr std::string_view view() const { return {chars_.data(), size_}; }
  constexpr bool empty() const { return size_ == 0; }
  constexpr std::size_t size() const { return size_; }

  std::uint64_t hash() const {
    const auto w = std::bit_cast<std::array<std::uint64_t, 4>>(chars_);
    // Four independent multiplies (they run in parallel) folded with a final mix: ids are short
    // and the engine's tables are bounded, so a fast non-cryptographic hash is enough.
    std::uint64_t h = (w[0] * 0x9E3779B97F4A7C15ULL) ^ (w[1] * 0xBF58476D1CE4E5B9ULL) ^
                      (w[2] * 0x94D049BB133111EBULL) ^ (w[3] * 0xD6E8FEB86659FD93ULL) ^ size_;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ULL;
    return h ^ (h >> 32);
  }

  // Word-wise: ids are compared on every bid (lot lookup, leader check), and a libc memcmp call
  // per compare was the bid path's largest cost.
  friend constexpr bool operator==(const BasicId& a, const BasicId& b) {
    const auto wa = std::bit_cast<std::array<std::uint64_t, 4>>(a.chars_);
    const auto wb = std::bit_cast<std::array<std::uint64_t, 4>>(b.chars_);
    return a.size_ == b.size_ &&
           ((wa[0] ^ wb[0]) | (wa[1] ^ wb[1]) | (wa[2] ^ wb[2]) | (wa[3] ^ wb[3])) == 0;
  }
  friend constexpr auto operator<=>(const BasicId& a, const BasicId& b) {
    return a.view() <=> b.view();
  }

 private:
  std::array<char, kMaxLength> chars_{};
  std::uint8_t size_ = 0;
};

using LotId = BasicId<struct LotIdTag>;
using UserId = BasicId<struct UserIdTag>;

// An ISO 4217 alphabetic code: exactly three upper-case ASCII letters. The engine checks the
// shape, not membership in the ISO list (which changes); the admin layer may be stricter.
class CurrencyCode {
 public:
  constexpr CurrencyCode() = default;
  static constexpr std::optional<CurrencyCode> parse(std::string_view text) {
    if (text.size() != 3) return std::nullopt;
    CurrencyCode code;
    for (std::size_t i = 0; i < 3; ++i) {
      if (text[i] < 'A' || text[i] > 'Z') return std::nullopt;
      code.chars_[i] = text[i];
    }
    return code;
  }
  constexpr std::string_view view() const {
    return chars_[0] == 0 ? std::string_view{} : std::string_view{chars_.data(), 3};
  }
  constexpr bool empty() const { return chars_[0] == 0; }
  // Decimals of the minor unit (ISO 4217's "minor unit" column): 2 mostly, 0 for JPY and
  // others, 3 for BHD and others. Amounts are shown as amount / 10^digits (SPEC §1).
  int minor_unit_digits() const;
  friend constexpr bool operator==(const CurrencyCode&, const CurrencyCode&) = default;

 private:
  std::array<char, 3> chars_{};
};

// Checks that `text` is well-formed UTF-8 (no overlongs, no surrogates, ≤ U+10FFFF).
bool is_valid_utf8(std::string_view text);

// Text of at most N bytes of valid UTF-8, stored inline.
template <std::size_t N>
class BoundedText {
 public:
  static constexpr std::size_t kMaxBytes = N;
  constexpr BoundedText() = default;
  // Returns the text, or nothing when it is longer than N bytes or not valid UTF-8.
  static std::optional<BoundedText> parse(std::string_view text) {
    if (text.size() > N || !is_valid_utf8(text)) return std::nullopt;
    BoundedText out;
    std::memcpy(out.bytes_.data(), text.data(), text.size());
    out.size_ = static_cast<std::uint16_t>(text.size());
    return out;
  }
  std::string_view view() const { return {bytes_.data(), size_}; }
  bool empty() const { return size_ == 0; }
  friend bool operator==(const BoundedText& a, const BoundedText& b) {
    return a.view() == b.view();
  }

 private:
  std::array<char, N> bytes_{};
  std::uint16_t size_ = 0;
};

inline constexpr std::size_t kMaxTitleBytes = 200;
using Title = BoundedText<kMaxTitleBytes>;

}  // namespace auction
