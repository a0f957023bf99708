#include "auction/gateway/json_writer.h"

#include <algorithm>
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

namespace {

bool needs_escape(char c) {
  return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
}

}  // namespace

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
