// The bidder WebSocket protocol, v1 (SPEC §7): decoding client requests and encoding server
// messages.
//
// Contract:
//   - decode_request() parses one text frame with simdjson (on-demand). It returns a Request, or
//     a ProtocolError with the SPEC's code: bad_request (not JSON anywhere in the frame, fields
//     it does not use included; not an object; a field named twice; nested deeper than 64
//     levels; a missing or wrongly typed field), unknown_type, invalid_id, too_large (a field
//     over its length limit: id 64 bytes, token 128, reason 1,000). The request's "id" (a string
//     of at most 64 bytes) is recovered whenever the frame is a well-formed JSON object, so even
//     errors can echo it.
//   - A bid's amount is accepted only as a JSON integer 1 ≤ amount ≤ 10^15 written without sign,
//     fraction or exponent (SPEC §1); anything else decodes as a bid whose amount is invalid, to
//     be answered `rejected` with code invalid_amount — never rounded.
//   - The input must be followed by simdjson::SIMDJSON_PADDING readable bytes (see PaddedFrame).
//   - The encode_* functions write every answer of a bidder's request as one JSON object with
//     "type", "ts" (the server time given) and, when the request had one, its "id".
// Threading: decode_request() uses a thread-local parser; encoders are pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auction/engine/event.h"
#include "auction/engine/types.h"
#include "auction/gateway/json_writer.h"
#include "auction/gateway/lot_view.h"
#include "auction/settlement/model.h"

namespace auction::gateway {

enum class RequestType : std::uint8_t {
  login,
  subscribe,
  unsubscribe,
  lots,
  register_lot,  // "register"
  bid,
  max_bid,  // SPEC §4.2: `max` in place of `amount` (kept in Request::amount_minor)
  orders,
  pay,
  confirm_receipt,
  dispute,
  ping,
};

inline bool is_bid(RequestType type) {
  return type == RequestType::bid || type == RequestType::max_bid;
}

inline constexpr std::size_t kMaxRequestIdBytes = 64;
inline constexpr std::size_t kMaxTokenBytes = 128;
// A dispute's reason: settlement::kMaxReasonBytes, the limit of what settlement stores.

struct Request {
  RequestType type = RequestType::ping;
  std::optional<std::string> id;  // echoed in the answer
  LotId lot;
  UserId user;
  std::string token;
  AmountMinor amount_minor = 0;
  bool amount_valid = false;
  // An invalid amount as the client wrote it, to echo: a JSON scalar that any JSON reader takes
  // back (at most 40 bytes; numbers at most 19 and no exponent past 99). Empty: echo null.
  std::string amount_json;
  std::string order;
  std::string reason;
};

struct ProtocolError {
  std::string_view code;  // SPEC §7 error code
  std::string message;
  std::optional<std::string> id;
};

// A reusable buffer that keeps simdjson's padding after the frame.
class PaddedFrame {
 public:
  std::string_view assign(std::string_view frame);
  const char* data() const { return bytes_.data(); }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return bytes_.size(); }

 private:
  std::string bytes_;
  std::size_t size_ = 0;
};

// Parses `frame` (held in a PaddedFrame). On success fills `out` and returns nothing.
std::optional<ProtocolError> decode_request(const PaddedFrame& frame, Request& out);

// Parses an amount written as a JSON token: digits only, no leading zero, within 1..10^15.
std::optional<AmountMinor> parse_amount_token(std::string_view token);

std::string_view request_type_name(RequestType type);

// ---- Answers (SPEC §7). `id` is the request's, echoed when present. The answers sent most often
// take `out`, a buffer to write into (emptied first; its room is reused) and return it.
using RequestId = std::optional<std::string>;

// `error` {code, message}.
std::string encode_error(std::string_view code, std::string_view message, const RequestId& id,
                         TimeMs ts_ms, std::string out = {});
// An answer with at most one string field: `pong`, `login_ok` {user}, `unsubscribed` {lot}, and
// `registered` {lot} for a lot without deposit.
std::string encode_simple(std::string_view type, const RequestId& id, TimeMs ts_ms,
                          std::string_view key = {}, std::string_view value = {},
                          std::string out = {});
// `rejected` {lot, amount (`max` for a maximum bid), code, min_next}: the amount as the request
// gave it (an invalid one echoed as written when every JSON reader takes it back, else null).
std::string encode_rejected(const Request& request, std::string_view code,
                            std::optional<AmountMinor> min_next_minor, TimeMs ts_ms,
                            std::string out = {});
// What a bid or a maximum bid came to (SPEC §4.2): it may be accepted and not lead, when a
// maximum answered it at once.
struct AcceptedBid {
  LotId lot;
  bool max_bid = false;
  AmountMinor amount_minor = 0;  // the bid's amount, or the maximum (its owner's answer only)
  AmountMinor price_minor = 0;   // the lot's price after the command
  bool leading = true;
  bool priority_match = false;  // the bid matched the price under a priority right (SPEC §4.3)
  Seq seq = 0;
  TimeMs deadline_ms = 0;
  std::optional<AmountMinor> min_next_minor;
};
// `accepted` {lot, amount | max, leading, price, seq, deadline_ms, min_next}, and `match`: true
// for a priority purchaser's match.
std::string encode_accepted(const RequestId& id, const AcceptedBid& bid, TimeMs ts_ms,
                            std::string out = {});
// `registered` {lot, deposit}: the deposit is held and the bidder qualified.
std::string encode_registered(const RequestId& id, const LotId& lot, AmountMinor deposit_minor,
                              TimeMs ts_ms);
// `orders` {orders: [...]}, and one `order` update (pushed ones carry no id).
std::string encode_orders(const RequestId& id, const std::vector<settlement::Order>& orders,
                          TimeMs ts_ms);
std::string encode_order(const RequestId& id, const settlement::Order* order, TimeMs ts_ms);

// ---- A lot's messages (SPEC §7). A bidder's name is shown whole when `plain` (the message for
// that bidder), else masked; the snapshot shows the viewer's own name whole.
// `bid` {lot, amount, bidder, at_ms, deadline_ms, min_next, bids, reserve_met, seq, auto?,
// match?}: `after` is the lot once the bid is applied.
std::string encode_bid_event(const BidAccepted& bid, const LotView& after, Seq seq, TimeMs at_ms,
                             bool plain, TimeMs ts_ms);
// `phase` {lot, phase, deadline_ms, min_next, seq}.
std::string encode_phase_event(const PhaseChanged& phase, const LotView& after, Seq seq,
                               TimeMs ts_ms);
// `closed` {lot, outcome, winner, price, currency, minor_unit, closed_at_ms, seq}.
std::string encode_closed_event(const LotClosed& closed, Seq seq, bool plain, TimeMs ts_ms);
// `snapshot` of a lot as `viewer` sees it (`resync`: in place of skipped events).
std::string encode_snapshot(const LotView& view, const std::vector<RecentBid>& recent_newest_first,
                            const UserId& viewer, const RequestId& id, TimeMs ts_ms,
                            bool resync = false);
// `lots` {lots: [...]}, one lot at a time (the board adds them under its lock, copying none).
class LotsMessage {
 public:
  LotsMessage(const RequestId& id, TimeMs ts_ms);
  void add(const LotView& view);
  std::string finish();

 private:
  std::string out_;
  JsonWriter writer_;
};

}  // namespace auction::gateway
