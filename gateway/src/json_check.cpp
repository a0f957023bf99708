#include "json_check.h"

namespace auction::gateway {
namespace {

using simdjson::ondemand::json_type;

}  // namespace

std::string_view trim_right(std::string_view token) {
  while (!token.empty() && (token.back() == ' ' || token.back() == '\n' || token.back() == '\t' ||
                            token.back() == '\r')) {
    token.remove_suffix(1);
  }
  return token;
}

// One pass over the token (every bid's amount comes here): -? int frac? exp?, RFC 8259 §6.
bool is_json_number(std::string_view token) {
  const char* at = token.data();
  const char* const end = at + token.size();
  const auto digits = [&] {
    const char* const start = at;
    while (at != end && *at >= '0' && *at <= '9')
      ++at;
    return at - start;
  };
  if (at != end && *at == '-') ++at;
  const char* const integer = at;
  const auto integer_digits = digits();
  if (integer_digits == 0 || (integer_digits > 1 && *integer == '0')) return false;
  if (at != end && *at == '.') {
    ++at;
    if (digits() == 0) return false;
  }
  if (at != end && (*at == 'e' || *at == 'E')) {
    ++at;
    if (at != end && (*at == '+' || *at == '-')) ++at;
    if (digits() == 0) return false;
  }
  return at == end;
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
