// Little-endian binary encoding of the engine's values: the building blocks of the snapshot
// format and of the journal's record format.
//
// Contract: ByteWriter appends to a caller-owned string. ByteReader consumes a view and returns
// false (leaving its output unspecified) on any short, malformed or invalid field; it never reads
// past its input. decode_lot_config() decodes any configuration a command can carry, valid or
// not (refused commands are journaled too); validate separately where validity is required.
// Threading: plain values; no shared state.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "auction/engine/lot_config.h"
#include "auction/engine/types.h"

namespace auction {

class ByteWriter {
 public:
  explicit ByteWriter(std::string& out) : out_(out) {}

  template <typename Int>
  void integer(Int value) {
    static_assert(std::is_integral_v<Int>);
    char bytes[sizeof(Int)];
    std::memcpy(bytes, &value, sizeof(Int));  // x86-64 and aarch64 are little-endian
    out_.append(bytes, sizeof(Int));
  }
  template <typename Enum>
  void enumeration(Enum value) {
    integer(static_cast<std::uint8_t>(value));
  }
  // A length-prefixed (u16) byte string.
  void text(std::string_view value) {
    integer(static_cast<std::uint16_t>(value.size()));
    out_.append(value);
  }

 private:
  std::string& out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}

  template <typename Int>
  bool integer(Int& value) {
    static_assert(std::is_integral_v<Int>);
    if (in_.size() < sizeof(Int)) return false;
    std::memcpy(&value, in_.data(), sizeof(Int));
    in_.remove_prefix(sizeof(Int));
    return true;
  }
  // An enumeration stored as one byte, valid up to and including `last`.
  template <typename Enum>
  bool enumeration(Enum& value, Enum last) {
    std::uint8_t raw = 0;
    if (!integer(raw) || raw > static_cast<std::uint8_t>(last)) return false;
    value = static_cast<Enum>(raw);
    return true;
  }
  bool text(std::string_view& value) {
    std::uint16_t size = 0;
    if (!integer(size) || in_.size() < size) return false;
    value = in_.substr(0, size);
    in_.remove_prefix(size);
    return true;
  }
  // An id; the empty string decodes to the empty id only when `allow_empty`.
  template <typename Id>
  bool id(Id& value, bool allow_empty) {
    std::string_view raw;
    if (!text(raw)) return false;
    if (raw.empty()) {
      value = Id{};
      return allow_empty;
    }
    const auto parsed = Id::parse(raw);
    if (!parsed) return false;
    value = *parsed;
    return true;
  }
  bool done() const { return in_.empty(); }
  std::size_t remaining() const { return in_.size(); }

 private:
  std::string_view in_;
};

// A lot's configuration without its rules (the format every journal has had), and the rules of
// SPEC §4.1–4.2 (increment table, max_bids) written after it where the format has them.
void encode_lot_config(ByteWriter& out, const LotConfig& config);
bool has_rules(const LotConfig& config);  // anything but the defaults
void encode_lot_rules(ByteWriter& out, const LotConfig& config);
bool decode_lot_rules(ByteReader& in, LotConfig& config);
bool decode_lot_config(ByteReader& in, LotConfig& config);

}  // namespace auction
