#include "output.h"

#include <cstdio>
#include <string_view>

#include "lot_input.h"
#include "values.h"

namespace auctionctl {
namespace {

namespace dom = simdjson::dom;

bool is_time_field(std::string_view key) {
  return key.ends_with("_ms") && key != "timed_ms" && key != "extension_ms";
}

std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  for (const char c : text)
    width += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return width;
}

void emit(dom::element value, int depth, std::string& out) {
  const std::string indent(static_cast<std::size_t>(depth + 1) * 2, ' ');
  const std::string closing(static_cast<std::size_t>(depth) * 2, ' ');
  switch (value.type()) {
    case dom::element_type::OBJECT: {
      const dom::object object = value.get_object().value();
      if (object.size() == 0) {
        out += "{}";
        return;
      }
      out += "{\n";
      bool first = true;
      for (const auto field : object) {
        const auto member = [&](std::string_view key, const std::string& rendered) {
          out += (first ? "" : ",\n") + indent + json_string(key) + ": " + rendered;
          first = false;
        };
        std::string rendered;
        emit(field.value, depth + 1, rendered);
        member(field.key, rendered);
        if (is_time_field(field.key) && field.value.is_int64()) {
          const std::string_view stem = field.key.substr(0, field.key.size() - 3);
          member(stem, json_string(iso_utc(field.value.get_int64().value())));
        }
      }
      out += "\n" + closing + "}";
      return;
    }
    case dom::element_type::ARRAY: {
      const dom::array array = value.get_array().value();
      if (array.size() == 0) {
        out += "[]";
        return;
      }
      out += "[\n";
      bool first = true;
      for (const dom::element item : array) {
        out += (first ? "" : ",\n") + indent;
        first = false;
        emit(item, depth + 1, out);
      }
      out += "\n" + closing + "]";
      return;
    }
    case dom::element_type::STRING:
      out += json_string(value.get_string().value());
      return;
    default:
      out += simdjson::to_string(value);  // numbers, booleans, null as the server sent them
  }
}

}  // namespace

void print_json(dom::element root) {
  std::string out;
  emit(root, 0, out);
  std::printf("%s\n", out.c_str());
}

void Table::print() const {
  std::vector<std::size_t> widths;
  for (const auto& row : rows_) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (std::size_t i = 0; i < row.size(); ++i)
      widths[i] = std::max(widths[i], display_width(row[i]));
  }
  for (const auto& row : rows_) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - display_width(row[i]) + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}

void print_fields(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::size_t width = 0;
  for (const auto& field : fields)
    width = std::max(width, field.first.size());
  for (const auto& [key, value] : fields) {
    std::printf("%-*s  %s\n", static_cast<int>(width), key.c_str(), value.c_str());
  }
}

}  // namespace auctionctl
