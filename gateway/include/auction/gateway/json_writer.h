// A small JSON writer for the server's messages: objects, strings (escaped), integers, null.
//
// Contract: produces compact, valid JSON text in a caller-reused std::string (no allocation once
// its capacity suffices). Strings are escaped per RFC 8259; input text must be valid UTF-8 (the
// engine's ids and titles are). Threading: one writer per thread.
//
// Speed: every answer is written here, so a field's bytes are gathered on the stack and the
// message grows by one append per field. A key written as a string literal is checked and
// quoted when compiled (JsonKey), so writing it is one fixed-size copy. Text that needs an
// escape, or does not fit, takes the general path.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace auction::gateway {

// A field's name. From a string literal it is rendered when compiled (`"name":`): a literal that
// would need an escape, or is longer than kMaxLiteralBytes, does not compile. Any other text is
// escaped when written.
class JsonKey {
 public:
  static constexpr std::size_t kRenderedBytes = 32;
  static constexpr std::size_t kMaxLiteralBytes = kRenderedBytes - 3;  // the quotes, the colon

  template <std::size_t N>
  consteval JsonKey(const char (&name)[N]) : name_(name, N - 1) {  // NOLINT: implicit on purpose
    static_assert(N - 1 <= kMaxLiteralBytes, "a key literal this long is not rendered");
    rendered_[0] = '"';
    for (std::size_t i = 0; i + 1 < N; ++i) {
      // Throwing here is a compile error: the literal needs an escape; write it as text.
      if (static_cast<unsigned char>(name[i]) < 0x20 || name[i] == '"' || name[i] == '\\') {
        throw "a key literal must need no escape";
      }
      rendered_[1 + i] = name[i];
    }
    rendered_[N] = '"';
    rendered_[N + 1] = ':';
    rendered_bytes_ = static_cast<std::uint8_t>(N + 2);
  }
  JsonKey(std::string_view name) : name_(name) {}    // NOLINT: implicit on purpose
  JsonKey(const std::string& name) : name_(name) {}  // NOLINT: implicit on purpose

  std::string_view name() const { return name_; }

 private:
  friend class JsonWriter;
  std::string_view name_;
  std::array<char, kRenderedBytes> rendered_{};  // `"name":` padded, when rendered_bytes_ > 0
  std::uint8_t rendered_bytes_ = 0;
};

class JsonWriter {
 public:
  // An empty `out` gets room for a typical message at once, not in four doublings.
  explicit JsonWriter(std::string& out) : out_(out) {
    if (out_.capacity() < kFirstBytes) out_.reserve(kFirstBytes);
  }

  JsonWriter& begin_object();
  JsonWriter& begin_object(const JsonKey& key);  // a nested object as a field
  JsonWriter& end_object();
  JsonWriter& begin_array(const JsonKey& key);
  JsonWriter& end_array();
  JsonWriter& field(const JsonKey& key, std::string_view value);
  JsonWriter& field(const JsonKey& key, const char* value) {
    return field(key, std::string_view(value));
  }
  JsonWriter& field(const JsonKey& key, std::int64_t value);
  JsonWriter& field(const JsonKey& key, std::uint64_t value);
  JsonWriter& field(const JsonKey& key, bool value);
  JsonWriter& field_null(const JsonKey& key);
  // A string element of the open array.
  JsonWriter& value(std::string_view text);
  // An optional: the value, or null.
  JsonWriter& field(const JsonKey& key, const std::optional<std::int64_t>& value);
  // A value that is already JSON text (e.g. a client's raw token echoed back).
  JsonWriter& field_raw(const JsonKey& key, std::string_view json);

 private:
  static constexpr std::size_t kFirstBytes = 256;  // an `accepted` answer is ~190 bytes
  struct Piece;

  void separator();
  void key(const JsonKey& name);
  void string(std::string_view value);
  void begin_field(Piece& piece, const JsonKey& name);
  bool put_key(Piece& piece, const JsonKey& name);
  void field_literal(const JsonKey& name, std::string_view literal);  // `"name":literal`
  void flush(const Piece& piece);

  std::string& out_;
  bool first_ = true;
};

}  // namespace auction::gateway
