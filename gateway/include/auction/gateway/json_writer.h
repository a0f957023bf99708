// A small JSON writer for the server's messages: objects, strings (escaped), integers, null.
//
// Contract: produces compact, valid JSON text in a caller-reused std::string (no allocation once
// its capacity suffices). Strings are escaped per RFC 8259; input text must be valid UTF-8 (the
// engine's ids and titles are). Threading: one writer per thread.
//
// Speed: every answer is written here, so a field's bytes are gathered on the stack and the
// message grows by one append per field; text that needs an escape, or does not fit, takes the
// general path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace auction::gateway {

class JsonWriter {
 public:
  // An empty `out` gets room for a typical message at once, not in four doublings.
  explicit JsonWriter(std::string& out) : out_(out) {
    if (out_.capacity() < kFirstBytes) out_.reserve(kFirstBytes);
  }

  JsonWriter& begin_object();
  JsonWriter& begin_object(std::string_view key);  // a nested object as a field
  JsonWriter& end_object();
  JsonWriter& begin_array(std::string_view key);
  JsonWriter& end_array();
  JsonWriter& field(std::string_view key, std::string_view value);
  JsonWriter& field(std::string_view key, const char* value) {
    return field(key, std::string_view(value));
  }
  JsonWriter& field(std::string_view key, std::int64_t value);
  JsonWriter& field(std::string_view key, std::uint64_t value);
  JsonWriter& field(std::string_view key, bool value);
  JsonWriter& field_null(std::string_view key);
  // A string element of the open array.
  JsonWriter& value(std::string_view text);
  // An optional: the value, or null.
  JsonWriter& field(std::string_view key, const std::optional<std::int64_t>& value);
  // A value that is already JSON text (e.g. a client's raw token echoed back).
  JsonWriter& field_raw(std::string_view key, std::string_view json);

 private:
  static constexpr std::size_t kFirstBytes = 256;  // an `accepted` answer is ~190 bytes
  struct Piece;

  void separator();
  void key(std::string_view name);
  void string(std::string_view value);
  void begin_field(Piece& piece, std::string_view name);
  bool put_key(Piece& piece, std::string_view name);
  void field_literal(std::string_view name, std::string_view literal);  // `"name":literal`
  void flush(const Piece& piece);

  std::string& out_;
  bool first_ = true;
};

}  // namespace auction::gateway
