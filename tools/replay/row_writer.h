// Private: one table written as CSV (RFC 4180) or JSON Lines, through a large buffer.
// Threading: one thread.
#pragma once

#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "export.h"

namespace auction::replay {

class RowWriter {
 public:
  RowWriter(Format format, std::FILE* out, std::initializer_list<std::string_view> columns);
  ~RowWriter();  // flushes
  RowWriter(const RowWriter&) = delete;
  RowWriter& operator=(const RowWriter&) = delete;

  // Values of one row, in column order; end_row() after the last.
  void text(std::string_view value);
  void integer(std::int64_t value);
  void boolean(bool value);
  void null();
  template <typename T>
  void optional_integer(const std::optional<T>& value) {
    value ? integer(static_cast<std::int64_t>(*value)) : null();
  }
  void optional_text(std::string_view value) { value.empty() ? null() : text(value); }
  void end_row();
  // Writes what is buffered; false when the output failed (e.g. a closed pipe, a full disk).
  bool flush();

 private:
  void separator();
  Format format_;
  std::FILE* out_;
  std::vector<std::string> keys_;  // JSON: `"name":` per column
  std::size_t column_ = 0;
  std::string buffer_;
};

}  // namespace auction::replay
