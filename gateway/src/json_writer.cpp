#include "auction/gateway/json_writer.h"

#include <charconv>

namespace auction::gateway {

void JsonWriter::separator() {
  if (!first_) out_.push_back(',');
  first_ = false;
}

void JsonWriter::key(std::string_view name) {
  separator();
  string(name);
  out_.push_back(':');
}

void JsonWriter::string(std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  out_.push_back('"');
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
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
        if (byte < 0x20) {
          out_ += "\\u00";
          out_.push_back(kHex[byte >> 4]);
          out_.push_back(kHex[byte & 0xF]);
        } else {
          out_.push_back(c);
        }
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

JsonWriter& JsonWriter::begin_object(std::string_view name) {
  key(name);
  out_.push_back('{');
  first_ = true;
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  out_.push_back('}');
  first_ = false;
  return *this;
}

JsonWriter& JsonWriter::begin_array(std::string_view name) {
  key(name);
  out_.push_back('[');
  first_ = true;
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  out_.push_back(']');
  first_ = false;
  return *this;
}

JsonWriter& JsonWriter::field(std::string_view name, std::string_view value) {
  key(name);
  string(value);
  return *this;
}

JsonWriter& JsonWriter::field(std::string_view name, std::int64_t value) {
  key(name);
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof(digits), value).ptr;
  out_.append(digits, end);
  return *this;
}

JsonWriter& JsonWriter::field(std::string_view name, std::uint64_t value) {
  key(name);
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof(digits), value).ptr;
  out_.append(digits, end);
  return *this;
}

JsonWriter& JsonWriter::field(std::string_view name, bool value) {
  key(name);
  out_ += value ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view text) {
  separator();
  string(text);
  return *this;
}

JsonWriter& JsonWriter::field_null(std::string_view name) {
  key(name);
  out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::field(std::string_view name, const std::optional<std::int64_t>& value) {
  return value ? field(name, *value) : field_null(name);
}

JsonWriter& JsonWriter::field_raw(std::string_view name, std::string_view json) {
  key(name);
  out_ += json;
  return *this;
}

}  // namespace auction::gateway
