// The payment provider's webhook (SPEC §6.1): a signed notice that money arrived for a user.
//
//   POST /webhooks/payment
//   X-Auction-Signature: sha256=<hex HMAC-SHA256 of the raw body with the shared secret>
//   {"reference":"pay_123","user":"alice","currency":"EUR","amount":12345,"timestamp_ms":...}
//
// Contract: check_webhook() accepts a notice only when the signature over the exact raw body
// matches (compared in constant time), the body is a JSON object with those fields (amount a
// plain JSON integer 1..10^15, no fraction, exponent, sign or string; more fields are ignored),
// and its timestamp lies within `tolerance_ms` of `now_ms` (a captured notice cannot be replayed
// later; a replay within the window is caught by its reference, booked at most once). Anything
// else is a WebhookError with the HTTP status and code to answer; nothing is booked.
// Threading: pure functions (decoding uses a thread-local parser).
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "auction/settlement/input.h"

namespace auction::gateway {

inline constexpr std::string_view kWebhookPath = "/webhooks/payment";
inline constexpr std::string_view kWebhookSignatureHeader = "X-Auction-Signature";

struct WebhookError {
  unsigned status = 400;
  std::string_view code;  // bad_signature, stale_timestamp, bad_request, invalid_amount, ...
  std::string message;
};

std::variant<settlement::Credit, WebhookError> check_webhook(std::string_view body,
                                                             std::string_view signature,
                                                             std::string_view secret, TimeMs now_ms,
                                                             DurationMs tolerance_ms);

// "sha256=" and the hex HMAC-SHA256 of `body` with `secret`: what a provider sends.
std::string sign_webhook(std::string_view body, std::string_view secret);

}  // namespace auction::gateway
