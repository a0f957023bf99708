#include "auction/gateway/webhook.h"

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <simdjson.h>

#include <array>
#include <cstdlib>
#include <optional>

#include "auction/gateway/protocol.h"
#include "json_check.h"

namespace auction::gateway {
namespace {

using Mac = std::array<unsigned char, 32>;

Mac hmac_sha256(std::string_view body, std::string_view secret) {
  Mac mac{};
  unsigned size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac.data(), &size);
  return mac;
}

std::optional<Mac> parse_hex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  Mac out{};
  for (std::size_t i = 0; i < out.size(); ++i) {
    unsigned value = 0;
    for (const char c : hex.substr(2 * i, 2)) {
      value <<= 4;
      if (c >= '0' && c <= '9') {
        value |= static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        value |= static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        value |= static_cast<unsigned>(c - 'A' + 10);
      } else {
        return std::nullopt;
      }
    }
    out[i] = static_cast<unsigned char>(value);
  }
  return out;
}

WebhookError bad(std::string_view code, std::string message, unsigned status = 400) {
  return WebhookError{status, code, std::move(message)};
}

struct Fields {
  std::optional<std::string_view> reference, user, currency, amount, timestamp;
};

// The notice's fields: strings unescaped (valid until the parser's next document), numbers as
// their raw tokens (views into `padded`).
std::optional<WebhookError> read_fields(const simdjson::padded_string& padded, Fields& fields) {
  thread_local simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  simdjson::ondemand::object object;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS ||
      doc.get_object().get(object) != simdjson::SUCCESS) {
    return bad("bad_request", "the body must be a JSON object");
  }
  for (auto field_result : object) {
    simdjson::ondemand::field field;
    std::string_view key;
    if (std::move(field_result).get(field) != simdjson::SUCCESS ||
        field.unescaped_key().get(key) != simdjson::SUCCESS) {
      return bad("bad_request", "the body is not valid JSON");
    }
    simdjson::ondemand::value value = field.value();
    std::optional<std::string_view>* target = key == "reference"      ? &fields.reference
                                              : key == "user"         ? &fields.user
                                              : key == "currency"     ? &fields.currency
                                              : key == "amount"       ? &fields.amount
                                              : key == "timestamp_ms" ? &fields.timestamp
                                                                      : nullptr;
    simdjson::ondemand::json_type type;
    if (value.type().get(type) != simdjson::SUCCESS) {
      return bad("bad_request", "the body is not valid JSON");
    }
    if (target != nullptr && target->has_value()) {
      return bad("bad_request", "field named twice: " + std::string(key));
    }
    const bool numeric = target == &fields.amount || target == &fields.timestamp;
    if (numeric) *target = value.raw_json_token();
    // Providers add fields; unknown ones are ignored, but they must be JSON too.
    if (target == nullptr || numeric) {
      if (check_json_value(value)) return bad("bad_request", "the body is not valid JSON");
      continue;
    }
    std::string_view text;
    if (type != simdjson::ondemand::json_type::string || value.get_string().get(text) != 0) {
      return bad("bad_request", std::string(key) + " must be a string");
    }
    *target = text;
  }
  if (!at_json_end(doc)) return bad("bad_request", "the body is not valid JSON");
  return std::nullopt;
}

std::optional<TimeMs> parse_time_token(std::string_view token) {
  token = trim_right(token);
  if (token.empty() || token.size() > 15) return std::nullopt;
  TimeMs value = 0;
  for (const char c : token) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

std::string sign_webhook(std::string_view body, std::string_view secret) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (const unsigned char byte : hmac_sha256(body, secret)) {
    out += kHex[byte >> 4];
    out += kHex[byte & 0xF];
  }
  return out;
}

std::variant<settlement::Credit, WebhookError> check_webhook(std::string_view body,
                                                             std::string_view signature,
                                                             std::string_view secret, TimeMs now_ms,
                                                             DurationMs tolerance_ms) {
  // The signature first: nothing of an unsigned body is even parsed.
  constexpr std::string_view kScheme = "sha256=";
  const auto presented =
      signature.starts_with(kScheme) ? parse_hex(signature.substr(kScheme.size())) : std::nullopt;
  const Mac expected = hmac_sha256(body, secret);
  if (!presented || secret.empty() ||
      CRYPTO_memcmp(presented->data(), expected.data(), expected.size()) != 0) {
    return bad("bad_signature", "missing or wrong X-Auction-Signature", 401);
  }
  const simdjson::padded_string padded(body);
  Fields fields;
  if (auto problem = read_fields(padded, fields)) return *problem;
  for (const auto& [value, name] : {std::pair{&fields.reference, "reference"},
                                    {&fields.user, "user"},
                                    {&fields.currency, "currency"},
                                    {&fields.amount, "amount"},
                                    {&fields.timestamp, "timestamp_ms"}}) {
    if (!*value) return bad("bad_request", std::string("missing field: ") + name);
  }
  const auto timestamp = parse_time_token(*fields.timestamp);
  if (!timestamp) return bad("bad_request", "timestamp_ms must be epoch milliseconds");
  if (std::llabs(*timestamp - now_ms) > tolerance_ms) {
    return bad("stale_timestamp", "timestamp_ms is outside the accepted window", 400);
  }
  settlement::Credit credit;
  credit.source = settlement::CreditSource::webhook;
  const auto user = UserId::parse(*fields.user);
  if (!user) return bad("invalid_id", "user ids are 1-32 characters of [A-Za-z0-9_-]");
  credit.user = *user;
  const auto currency = CurrencyCode::parse(*fields.currency);
  if (!currency) return bad("bad_request", "currency must be an ISO 4217 code such as EUR");
  credit.currency = *currency;
  const auto amount = parse_amount_token(*fields.amount);
  if (!amount) {
    return bad("invalid_amount", "amount must be a JSON integer 1..10^15 in minor units");
  }
  credit.amount_minor = *amount;
  credit.reference = std::string(*fields.reference);
  if (credit.reference.empty() || credit.reference.size() > settlement::kMaxReferenceBytes) {
    return bad("bad_request", "reference must be 1-64 characters");
  }
  return credit;
}

}  // namespace auction::gateway
