#include "row_writer.h"

#include <charconv>

#include "auction/engine/assert.h"
#include "text_format.h"

namespace auction::replay {
namespace {

constexpr std::size_t kFlushBytes = 1 << 16;

bool needs_quotes(std::string_view value) {
  return value.find_first_of(",\"\r\n") != std::string_view::npos;
}

}  // namespace

RowWriter::RowWriter(Format format, std::FILE* out, std::initializer_list<std::string_view> columns)
    : format_(format), out_(out) {
  buffer_.reserve(kFlushBytes + 4096);
  if (format_ == Format::csv) {
    for (const std::string_view column : columns) {
      if (!buffer_.empty()) buffer_ += ',';
      buffer_ += column;
    }
    buffer_ += '\n';  // RFC 4180 quoting; LF line ends, as pandas and DuckDB write them
  } else {
    for (const std::string_view column : columns)
      keys_.push_back("\"" + std::string(column) + "\":");
  }
  column_ = 0;
}

RowWriter::~RowWriter() {
  flush();
}

void RowWriter::separator() {
  if (format_ == Format::csv) {
    if (column_ > 0) buffer_ += ',';
  } else {
    AUCTION_ASSERT(column_ < keys_.size());
    buffer_ += column_ == 0 ? "{" : ",";
    buffer_ += keys_[column_];
  }
  ++column_;
}

void RowWriter::text(std::string_view value) {
  separator();
  if (format_ == Format::jsonl) {
    append_json_string(buffer_, value);
  } else if (needs_quotes(value)) {
    buffer_ += '"';
    for (const char c : value) {
      if (c == '"') buffer_ += '"';
      buffer_ += c;
    }
    buffer_ += '"';
  } else {
    buffer_ += value;
  }
}

void RowWriter::integer(std::int64_t value) {
  separator();
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof(digits), value);
  buffer_.append(digits, result.ptr);
}

void RowWriter::boolean(bool value) {
  separator();
  buffer_ += value ? "true" : "false";
}

void RowWriter::null() {
  separator();
  if (format_ == Format::jsonl) buffer_ += "null";
}

void RowWriter::end_row() {
  buffer_ += format_ == Format::csv ? "\n" : "}\n";
  column_ = 0;
  if (buffer_.size() >= kFlushBytes) flush();
}

bool RowWriter::flush() {
  if (buffer_.empty()) return true;
  const bool ok = std::fwrite(buffer_.data(), 1, buffer_.size(), out_) == buffer_.size();
  buffer_.clear();
  return ok;
}

}  // namespace auction::replay
