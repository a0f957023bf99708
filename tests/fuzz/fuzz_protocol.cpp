// libFuzzer target: the bidder WebSocket message decoder (bytes → request or error).
// Invariants: never crashes or reads past the frame; an error has one of SPEC §7's codes; an
// accepted bid amount is in 1..10^15; echoed ids are at most 64 bytes; an invalid amount's echo
// is JSON that even simdjson's strict DOM parser reads back.
#include <simdjson.h>

#include <cstdint>
#include <cstdlib>
#include <set>
#include <string_view>

#include "auction/gateway/protocol.h"

using namespace auction;
using namespace auction::gateway;

#define FUZZ_CHECK(condition) \
  if (!(condition)) std::abort()

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::set<std::string_view> kCodes = {"bad_request", "unknown_type", "invalid_id",
                                                    "too_large", "invalid_amount"};
  PaddedFrame frame;
  frame.assign(std::string_view(reinterpret_cast<const char*>(data), size));
  Request request;
  const auto error = decode_request(frame, request);
  if (error) {
    FUZZ_CHECK(kCodes.contains(error->code));
    FUZZ_CHECK(!error->id || error->id->size() <= kMaxRequestIdBytes);
    return 0;
  }
  FUZZ_CHECK(!request.id || request.id->size() <= kMaxRequestIdBytes);
  if (request.type == RequestType::bid && request.amount_valid) {
    FUZZ_CHECK(request.amount_minor >= 1 && request.amount_minor <= kMaxAmountMinor);
  }
  if (request.type == RequestType::bid && !request.amount_json.empty()) {
    static simdjson::dom::parser strict;
    simdjson::dom::element echoed;
    const simdjson::padded_string echo("[" + request.amount_json + "]");
    FUZZ_CHECK(request.amount_json.size() <= 40);
    FUZZ_CHECK(strict.parse(echo).get(echoed) == simdjson::SUCCESS);
  }
  FUZZ_CHECK(request.token.size() <= kMaxTokenBytes);
  FUZZ_CHECK(request.reason.size() <= auction::settlement::kMaxReasonBytes);
  return 0;
}
