#include "auction/gateway/protocol.h"

#include <simdjson.h>

#include <array>
#include <utility>

#include "json_check.h"

namespace auction::gateway {
namespace {

using simdjson::ondemand::json_type;

constexpr std::array<std::pair<std::string_view, RequestType>, 12> kTypes = {{
    {"login", RequestType::login},
    {"subscribe", RequestType::subscribe},
    {"unsubscribe", RequestType::unsubscribe},
    {"lots", RequestType::lots},
    {"register", RequestType::register_lot},
    {"bid", RequestType::bid},
    {"max_bid", RequestType::max_bid},
    {"orders", RequestType::orders},
    {"pay", RequestType::pay},
    {"confirm_receipt", RequestType::confirm_receipt},
    {"dispute", RequestType::dispute},
    {"ping", RequestType::ping},
}};

// An invalid amount is echoed as written when every JSON reader takes it back (else as null).
constexpr std::size_t kMaxAmountEchoBytes = 40;
constexpr std::size_t kMaxNumberEchoBytes = 19;  // below 2^64: no reader's big-integer error

// What the fields of a frame were, before the type says which ones matter.
struct Fields {
  std::optional<std::string_view> type, id, lot, user, token, order, reason;
  std::optional<std::string_view> amount_token, max_token;  // raw JSON: "amount", "max"
  json_type amount_type = json_type::null, max_type = json_type::null;
  std::string_view wrongly_typed;  // first field that should have been a string and was not
  std::string_view duplicate;      // first field the frame names twice
};

// Whether an invalid amount can go back as the client wrote it: whole (a cut string or number
// is no longer JSON), a scalar, and a number any reader takes (not 1E400, not past 2^64).
bool echoes_as_written(json_type type, std::string_view token) {
  switch (type) {
    case json_type::object:
    case json_type::array:
      return false;
    case json_type::number: {
      const std::size_t e = token.find_first_of("eE");
      std::string_view exponent = e == std::string_view::npos ? "" : token.substr(e + 1);
      if (!exponent.empty() && (exponent[0] == '+' || exponent[0] == '-'))
        exponent.remove_prefix(1);
      return token.size() <= kMaxNumberEchoBytes && exponent.size() <= 2;
    }
    default:
      return token.size() <= kMaxAmountEchoBytes;
  }
}

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
  token = trim_right(token);
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
  const auto once = [&](std::string_view key, const auto& slot) {
    if (slot.has_value() && fields.duplicate.empty()) fields.duplicate = key;
  };
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
    std::optional<std::string_view>* text = nullptr;
    if (key == "type") {
      text = &fields.type;
    } else if (key == "id") {
      text = &fields.id;
    } else if (key == "lot") {
      text = &fields.lot;
    } else if (key == "user") {
      text = &fields.user;
    } else if (key == "token") {
      text = &fields.token;
    } else if (key == "order") {
      text = &fields.order;
    } else if (key == "reason") {
      text = &fields.reason;
    }
    if (text != nullptr) {
      once(key, *text);
      take_string(value, key, *text, fields);
      continue;
    }
    if (key == "amount" || key == "max") {
      const bool max = key == "max";
      once(key, max ? fields.max_token : fields.amount_token);
      (max ? fields.max_token : fields.amount_token) = trim_right(value.raw_json_token());
      if (value.type().get(max ? fields.max_type : fields.amount_type) != simdjson::SUCCESS) {
        return error("bad_request", "not JSON", std::nullopt);
      }
    }
    if (auto problem = check_json_value(value)) {
      return error("bad_request", std::string(*problem), std::nullopt);
    }
  }
  if (!at_json_end(doc)) return error("bad_request", "not JSON", std::nullopt);

  if (fields.id) {
    if (fields.id->size() > kMaxRequestIdBytes) {
      return error("too_large",
                   "id is longer than " + std::to_string(kMaxRequestIdBytes) + " bytes",
                   std::nullopt);
    }
    out.id = std::string(*fields.id);
  }
  if (!fields.duplicate.empty()) {
    return error("bad_request", "field named twice: " + std::string(fields.duplicate), out.id);
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
        return error("too_large", "token longer than " + std::to_string(kMaxTokenBytes) + " bytes",
                     out.id);
      }
      out.user = *user;
      out.token = std::string(*fields.token);
      return std::nullopt;
    }
    case RequestType::subscribe:
    case RequestType::unsubscribe:
    case RequestType::register_lot:
      return need_lot();
    case RequestType::bid:
    case RequestType::max_bid: {  // the maximum travels in the amount's fields
      if (auto problem = need_lot()) return problem;
      const bool max = out.type == RequestType::max_bid;
      const auto& token = max ? fields.max_token : fields.amount_token;
      if (!token) {
        return error("bad_request", max ? "missing field: max" : "missing field: amount", out.id);
      }
      const auto amount = parse_amount_token(*token);
      out.amount_valid = amount.has_value();
      out.amount_minor = amount.value_or(0);
      // Only an invalid amount is echoed (a valid one is answered as the number it is).
      if (!amount && echoes_as_written(max ? fields.max_type : fields.amount_type, *token)) {
        out.amount_json = std::string(*token);
      }
      return std::nullopt;
    }
    case RequestType::pay:
    case RequestType::confirm_receipt:
      return need_order();
    case RequestType::dispute: {
      if (auto problem = need_order()) return problem;
      if (!fields.reason) return error("bad_request", "missing field: reason", out.id);
      if (fields.reason->size() > settlement::kMaxReasonBytes) {
        return error("too_large",
                     "reason longer than " + std::to_string(settlement::kMaxReasonBytes) + " bytes",
                     out.id);
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
