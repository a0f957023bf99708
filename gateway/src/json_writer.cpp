#include "auction/gateway/json_writer.h"

#include "auction/engine/assert.h"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cstring>

namespace auction::gateway {

namespace {

// The bytes a JSON string must escape (RFC 8259): the quote, the backslash, control characters.
constexpr auto kEscape = [] {
  std::array<bool, 256> table{};
  for (std::size_t c = 0; c < 0x20; ++c)
    table[c] = true;
  table['"'] = true;
  table['\\'] = true;
  return table;
}();

bool needs_escape(char c) {
  return kEscape[static_cast<unsigned char>(c)];
}

// Room a key leaves in a piece for its value: an integer's digits and sign, or a literal.
constexpr std::size_t kValueBytes = 24;

}  // namespace

// One field's bytes (separator, quoted key, colon, a short value) gathered before one append.
struct JsonWriter::Piece {
  static constexpr std::size_t kBytes = 128;
  char bytes[kBytes];  // left uninitialised: only [0, size) is read
  std::size_t size = 0;

  void put(char c) { put(std::string_view(&c, 1)); }
  // A key leaves kValueBytes free (put_key), enough for any literal or integer put after it.
  void put(std::string_view literal) {
    AUCTION_ASSERT(size + literal.size() <= kBytes);
    std::copy(literal.begin(), literal.end(), bytes + size);
    size += literal.size();
  }
  // A rendered key's bytes: the whole rendering is copied (a fixed size, no loop), only its
  // length counted.
  void put_rendered(const std::array<char, JsonKey::kRenderedBytes>& rendered, std::size_t used) {
    AUCTION_ASSERT(size + rendered.size() <= kBytes);
    std::memcpy(bytes + size, rendered.data(), rendered.size());
    size += used;
  }
  void put_digits(std::int64_t value) {
    if (value >= 0) return put_digits(static_cast<std::uint64_t>(value));
    put('-');
    put_digits(std::uint64_t{0} - static_cast<std::uint64_t>(value));
  }
  // Two digits at a time from a table, from the last backwards, once the count is known.
  void put_digits(std::uint64_t value) {
    static constexpr char kPairs[] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    const std::size_t digits = digit_count(value);
    AUCTION_ASSERT(size + digits <= kBytes);
    char* at = bytes + size + digits;
    while (value >= 100) {
      const auto pair = static_cast<std::size_t>(value % 100) * 2;
      value /= 100;
      *--at = kPairs[pair + 1];
      *--at = kPairs[pair];
    }
    if (value >= 10) {
      *--at = kPairs[value * 2 + 1];
      *--at = kPairs[value * 2];
    } else {
      *--at = static_cast<char>('0' + value);
    }
    size += digits;
  }
  static std::size_t digit_count(std::uint64_t value) {
    static constexpr std::array<std::uint64_t, 20> kPowers = [] {
      std::array<std::uint64_t, 20> powers{};
      std::uint64_t power = 1;
      for (auto& p : powers) {
        p = power;
        power = power <= UINT64_MAX / 10 ? power * 10 : power;
      }
      return powers;
    }();
    // bit_width * 1233 / 4096 is log10 of 2^bit_width rounded down: off by at most one.
    const auto guess = (static_cast<std::size_t>(std::bit_width(value)) * 1233) >> 12;
    return guess + 1 - (guess > 0 && value < kPowers[guess] ? 1 : 0);
  }
  // Puts "text" when the text needs no escape and leaves `spare` bytes free; false (the piece as
  // it was) otherwise.
  bool put_quoted(std::string_view text, std::size_t spare) {
    if (size + text.size() + 2 + spare > kBytes) return false;
    char* at = bytes + size;
    *at++ = '"';
    for (const char c : text) {
      if (needs_escape(c)) return false;
      *at++ = c;
    }
    *at++ = '"';
    size = static_cast<std::size_t>(at - bytes);
    return true;
  }
};

void JsonWriter::separator() {
  if (!first_) out_.push_back(',');
  first_ = false;
}

void JsonWriter::key(const JsonKey& name) {
  Piece piece;
  begin_field(piece, name);
  flush(piece);
}

// The separator and the key, in the piece when they fit unescaped, else written out at once.
void JsonWriter::begin_field(Piece& piece, const JsonKey& name) {
  if (put_key(piece, name)) return;
  piece.size = 0;
  separator();
  string(name.name());
  out_.push_back(':');
}

bool JsonWriter::put_key(Piece& piece, const JsonKey& name) {
  if (!first_) piece.put(',');
  if (name.rendered_bytes_ > 0) {
    piece.put_rendered(name.rendered_, name.rendered_bytes_);
  } else if (piece.put_quoted(name.name(), kValueBytes)) {
    piece.put(':');
  } else {
    return false;
  }
  first_ = false;
  return true;
}

void JsonWriter::field_literal(const JsonKey& name, std::string_view literal) {
  Piece piece;
  begin_field(piece, name);
  piece.put(literal);
  flush(piece);
}

void JsonWriter::flush(const Piece& piece) {
  out_.append(piece.bytes, piece.size);
}

// Runs of characters that need no escape (nearly every string) are appended whole.
void JsonWriter::string(std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  out_.push_back('"');
  for (;;) {
    const auto clean = std::find_if(value.begin(), value.end(), needs_escape);
    out_.append(value.begin(), clean);
    if (clean == value.end()) break;
    const char c = *clean;
    value.remove_prefix(static_cast<std::size_t>(clean - value.begin()) + 1);
    switch (c) {
      case '"':
        out_ += "\\\"";
        break;
      case '\\':
        out_ += "\\\\";
        break;
      case '\n':
        out_ += "\\n";
        break;
      case '\r':
        out_ += "\\r";
        break;
      case '\t':
        out_ += "\\t";
        break;
      default:
        out_ += "\\u00";
        out_.push_back(kHex[static_cast<unsigned char>(c) >> 4]);
        out_.push_back(kHex[static_cast<unsigned char>(c) & 0xF]);
    }
  }
  out_.push_back('"');
}

JsonWriter& JsonWriter::begin_object() {
  if (!out_.empty() && out_.back() != '[' && out_.back() != ':') separator();
  out_.push_back('{');
  first_ = true;
  return *this;
}

JsonWriter& JsonWriter::begin_object(const JsonKey& name) {
  field_literal(name, "{");
  first_ = true;
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  out_.push_back('}');
  first_ = false;
  return *this;
}

JsonWriter& JsonWriter::begin_array(const JsonKey& name) {
  field_literal(name, "[");
  first_ = true;
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  out_.push_back(']');
  first_ = false;
  return *this;
}

JsonWriter& JsonWriter::field(const JsonKey& name, std::string_view value) {
  Piece piece;
  begin_field(piece, name);
  const bool whole = piece.put_quoted(value, 0);
  flush(piece);
  if (!whole) string(value);
  return *this;
}

JsonWriter& JsonWriter::field(const JsonKey& name, std::int64_t value) {
  Piece piece;
  begin_field(piece, name);
  piece.put_digits(value);
  flush(piece);
  return *this;
}

JsonWriter& JsonWriter::field(const JsonKey& name, std::uint64_t value) {
  Piece piece;
  begin_field(piece, name);
  piece.put_digits(value);
  flush(piece);
  return *this;
}

JsonWriter& JsonWriter::field(const JsonKey& name, bool value) {
  field_literal(name, value ? "true" : "false");
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view text) {
  separator();
  string(text);
  return *this;
}

JsonWriter& JsonWriter::field_null(const JsonKey& name) {
  field_literal(name, "null");
  return *this;
}

JsonWriter& JsonWriter::field(const JsonKey& name, const std::optional<std::int64_t>& value) {
  return value ? field(name, *value) : field_null(name);
}

JsonWriter& JsonWriter::field_raw(const JsonKey& name, std::string_view json) {
  key(name);
  out_ += json;
  return *this;
}

}  // namespace auction::gateway
