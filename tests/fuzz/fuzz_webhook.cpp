// libFuzzer target: the payment webhook (raw body + signature header). The first input byte
// chooses the signature: a correct one (so the body's decoding is reached), a wrong one, or the
// rest of the header taken from the input. Invariants: never crashes; nothing is booked without
// the right signature; a booked credit has a valid user, currency and amount 1..10^15.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "auction/gateway/webhook.h"

using namespace auction;
using namespace auction::gateway;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  constexpr std::string_view kSecret = "fuzzing-secret";
  constexpr TimeMs kNow = 1'767'225'600'000;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string_view body = rest;
  std::string signature;
  switch (data[0] % 3) {
    case 0:
      signature = sign_webhook(body, kSecret);
      break;
    case 1:
      signature = sign_webhook(body, "another-secret");
      break;
    default: {
      const auto split = rest.find('\n');
      signature = std::string(rest.substr(0, split));
      body = split == std::string_view::npos ? std::string_view() : rest.substr(split + 1);
    }
  }
  const auto result = check_webhook(body, signature, kSecret, kNow, 300'000);
  if (const auto* credit = std::get_if<settlement::Credit>(&result)) {
    if (signature != sign_webhook(body, kSecret)) std::abort();
    if (credit->amount_minor < 1 || credit->amount_minor > kMaxAmountMinor) std::abort();
    if (credit->user.empty() || credit->currency.view().size() != 3) std::abort();
  } else {
    const auto& error = std::get<WebhookError>(result);
    if (error.status < 400 || error.status > 599 || error.code.empty()) std::abort();
  }
  return 0;
}
