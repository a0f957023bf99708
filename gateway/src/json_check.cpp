#include "json_check.h"

#include <algorithm>

namespace auction::gateway {
namespace {

using simdjson::ondemand::json_type;

bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string_view trim_right(std::string_view token) {
  while (!token.empty() && (token.back() == ' ' || token.back() == '\n' || token.back() == '\t' ||
                            token.back() == '\r')) {
    token.remove_suffix(1);
  }
  return token;
}

bool is_json_number(std::string_view token) {
  if (!token.empty() && token.front() == '-') token.remove_prefix(1);
  const std::size_t int_end = std::min(token.find_first_of(".eE"), token.size());
  const std::string_view integer = token.substr(0, int_end);
  if (!all_digits(integer) || (integer.size() > 1 && integer.front() == '0')) return false;
  token.remove_prefix(int_end);
  if (!token.empty() && token.front() == '.') {
    const std::size_t end = std::min(token.find_first_of("eE"), token.size());
    if (!all_digits(token.substr(1, end - 1))) return false;
    token.remove_prefix(end);
  }
  if (token.empty()) return true;
  token.remove_prefix(1);  // e or E
  if (!token.empty() && (token.front() == '+' || token.front() == '-')) token.remove_prefix(1);
  return all_digits(token);
}

std::optional<std::string_view> check_json_value(simdjson::ondemand::value value, int depth) {
  constexpr std::string_view kNotJson = "not JSON";
  json_type type;
  if (value.type().get(type) != simdjson::SUCCESS) return kNotJson;
  if ((type == json_type::object || type == json_type::array) && depth >= kMaxJsonNestingDepth) {
    return "nested deeper than 64 levels";
  }
  switch (type) {
    case json_type::object: {
      simdjson::ondemand::object object;
      if (value.get_object().get(object) != simdjson::SUCCESS) return kNotJson;
      for (auto field : object) {
        std::string_view key;
        if (field.error() != simdjson::SUCCESS ||
            field.value_unsafe().unescaped_key().get(key) != simdjson::SUCCESS) {
          return kNotJson;
        }
        if (auto problem = check_json_value(field.value_unsafe().value(), depth + 1))
          return problem;
      }
      return std::nullopt;
    }
    case json_type::array: {
      simdjson::ondemand::array array;
      if (value.get_array().get(array) != simdjson::SUCCESS) return kNotJson;
      for (auto element : array) {
        simdjson::ondemand::value child;
        if (element.get(child) != simdjson::SUCCESS) return kNotJson;
        if (auto problem = check_json_value(child, depth + 1)) return problem;
      }
      return std::nullopt;
    }
    case json_type::string: {
      std::string_view text;
      if (value.get_string().get(text) != simdjson::SUCCESS) return kNotJson;
      return std::nullopt;
    }
    case json_type::number:
    case json_type::boolean:
    case json_type::null: {
      const std::string_view token = trim_right(value.raw_json_token());
      const bool ok = type == json_type::number    ? is_json_number(token)
                      : type == json_type::boolean ? token == "true" || token == "false"
                                                   : token == "null";
      if (!ok) return kNotJson;
      return std::nullopt;
    }
  }
  return kNotJson;
}

bool at_json_end(simdjson::ondemand::document& doc) {
  return doc.current_location().error() == simdjson::OUT_OF_BOUNDS;
}

}  // namespace auction::gateway
