#include "auction/gateway/protocol.h"

#include <simdjson.h>

#include <array>
#include <utility>

namespace auction::gateway {
namespace {

using simdjson::ondemand::json_type;

constexpr std::array<std::pair<std::string_view, RequestType>, 11> kTypes = {{
    {"login", RequestType::login},
    {"subscribe", RequestType::subscribe},
    {"unsubscribe", RequestType::unsubscribe},
    {"lots", RequestType::lots},
    {"register", RequestType::register_lot},
    {"bid", RequestType::bid},
    {"orders", RequestType::orders},
    {"pay", RequestType::pay},
    {"confirm_receipt", RequestType::confirm_receipt},
    {"dispute", RequestType::dispute},
    {"ping", RequestType::ping},
}};

// What the fields of a frame were, before the type says which ones matter.
struct Fields {
  std::optional<std::string_view> type, id, lot, user, token, order, reason;
  std::optional<std::string_view> amount_token;
  bool type_not_string = false, id_not_string = false;
  std::string_view wrongly_typed;  // first field that should have been a string and was not
};

ProtocolError error(std::string_view code, std::string message,
                    const std::optional<std::string>& id) {
  return ProtocolError{code, std::move(message), id};
}

// Reads a string field; notes a wrong type.
void take_string(simdjson::ondemand::value value, std::string_view key,
                 std::optional<std::string_view>& out, Fields& fields) {
  std::string_view text;
  if (value.get_string().get(text) == simdjson::SUCCESS) {
    out = text;
  } else if (fields.wrongly_typed.empty()) {
    fields.wrongly_typed = key;
  }
}

}  // namespace

std::string_view PaddedFrame::assign(std::string_view frame) {
  const std::size_t needed = frame.size() + simdjson::SIMDJSON_PADDING;
  if (bytes_.size() < needed) bytes_.resize(needed);
  std::memcpy(bytes_.data(), frame.data(), frame.size());
  std::memset(bytes_.data() + frame.size(), 0, simdjson::SIMDJSON_PADDING);
  size_ = frame.size();
  return {bytes_.data(), size_};
}

std::string_view request_type_name(RequestType type) {
  for (const auto& [name, value] : kTypes) {
    if (value == type) return name;
  }
  return "?";
}

std::optional<AmountMinor> parse_amount_token(std::string_view token) {
  while (!token.empty() && (token.back() == ' ' || token.back() == '\n' || token.back() == '\t' ||
                            token.back() == '\r')) {
    token.remove_suffix(1);
  }
  if (token.empty() || token.size() > 16 || token[0] == '0') return std::nullopt;
  AmountMinor value = 0;
  for (const char c : token) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (!is_valid_amount(value)) return std::nullopt;
  return value;
}

std::optional<ProtocolError> decode_request(const PaddedFrame& frame, Request& out) {
  thread_local simdjson::ondemand::parser parser;
  out = Request{};
  simdjson::ondemand::document doc;
  const simdjson::padded_string_view input(frame.data(), frame.size(), frame.capacity());
  if (parser.iterate(input).get(doc) != simdjson::SUCCESS) {
    return error("bad_request", "not JSON", std::nullopt);
  }
  simdjson::ondemand::object object;
  if (doc.get_object().get(object) != simdjson::SUCCESS) {
    return error("bad_request", "not a JSON object", std::nullopt);
  }
  Fields fields;
  for (auto field_result : object) {
    if (field_result.error() != simdjson::SUCCESS) {
      return error("bad_request", "not JSON", std::nullopt);
    }
    simdjson::ondemand::field field = field_result.value_unsafe();
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) {
      return error("bad_request", "not JSON", std::nullopt);
    }
    simdjson::ondemand::value value = field.value();
    if (key == "type") {
      take_string(value, key, fields.type, fields);
    } else if (key == "id") {
      take_string(value, key, fields.id, fields);
    } else if (key == "lot") {
      take_string(value, key, fields.lot, fields);
    } else if (key == "user") {
      take_string(value, key, fields.user, fields);
    } else if (key == "token") {
      take_string(value, key, fields.token, fields);
    } else if (key == "order") {
      take_string(value, key, fields.order, fields);
    } else if (key == "reason") {
      take_string(value, key, fields.reason, fields);
    } else if (key == "amount") {
      fields.amount_token = value.raw_json_token();
      // Walk the value so that a malformed one is noticed here.
      if (value.type().error() != simdjson::SUCCESS) {
        return error("bad_request", "not JSON", std::nullopt);
      }
    }
    // Other fields are skipped by the parser as it moves on (and checked for well-formedness).
  }

  if (fields.id) {
    if (fields.id->size() > kMaxRequestIdBytes) {
      return error("too_large", "id is longer than 64 bytes", std::nullopt);
    }
    out.id = std::string(*fields.id);
  }
  if (!fields.wrongly_typed.empty()) {
    return error("bad_request", std::string(fields.wrongly_typed) + " must be a string", out.id);
  }
  if (!fields.type) return error("bad_request", "missing field: type", out.id);
  bool known = false;
  for (const auto& [name, value] : kTypes) {
    if (name == *fields.type) {
      out.type = value;
      known = true;
    }
  }
  if (!known) return error("unknown_type", "unknown message type", out.id);

  const auto need_lot = [&]() -> std::optional<ProtocolError> {
    if (!fields.lot) return error("bad_request", "missing field: lot", out.id);
    const auto lot = LotId::parse(*fields.lot);
    if (!lot) return error("invalid_id", "lot ids are 1-32 characters of [A-Za-z0-9_-]", out.id);
    out.lot = *lot;
    return std::nullopt;
  };
  const auto need_order = [&]() -> std::optional<ProtocolError> {
    if (!fields.order) return error("bad_request", "missing field: order", out.id);
    if (!LotId::parse(*fields.order)) {
      return error("invalid_id", "order ids are 1-32 characters of [A-Za-z0-9_-]", out.id);
    }
    out.order = std::string(*fields.order);
    return std::nullopt;
  };
  switch (out.type) {
    case RequestType::login: {
      if (!fields.user) return error("bad_request", "missing field: user", out.id);
      if (!fields.token) return error("bad_request", "missing field: token", out.id);
      const auto user = UserId::parse(*fields.user);
      if (!user)
        return error("invalid_id", "user ids are 1-32 characters of [A-Za-z0-9_-]", out.id);
      if (fields.token->size() > kMaxTokenBytes) {
        return error("too_large", "token longer than 128 bytes", out.id);
      }
      out.user = *user;
      out.token = std::string(*fields.token);
      return std::nullopt;
    }
    case RequestType::subscribe:
    case RequestType::unsubscribe:
    case RequestType::register_lot:
      return need_lot();
    case RequestType::bid: {
      if (auto problem = need_lot()) return problem;
      if (!fields.amount_token) return error("bad_request", "missing field: amount", out.id);
      out.amount_json = std::string(fields.amount_token->substr(0, 40));
      const auto amount = parse_amount_token(*fields.amount_token);
      out.amount_valid = amount.has_value();
      out.amount_minor = amount.value_or(0);
      return std::nullopt;
    }
    case RequestType::pay:
    case RequestType::confirm_receipt:
      return need_order();
    case RequestType::dispute: {
      if (auto problem = need_order()) return problem;
      if (!fields.reason) return error("bad_request", "missing field: reason", out.id);
      if (fields.reason->size() > kMaxReasonBytes) {
        return error("too_large", "reason longer than 1000 bytes", out.id);
      }
      out.reason = std::string(*fields.reason);
      return std::nullopt;
    }
    case RequestType::lots:
    case RequestType::orders:
    case RequestType::ping:
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace auction::gateway
