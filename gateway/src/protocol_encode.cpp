// The bidder protocol's answers (SPEC §7), one function a message type.
#include "auction/gateway/json_writer.h"
#include "auction/gateway/protocol.h"
#include "auction/gateway/settlement_json.h"
#include "message_header.h"

namespace auction::gateway {
std::string encode_error(std::string_view code, std::string_view message, const RequestId& id,
                         TimeMs ts_ms, std::string out) {
  out.clear();
  JsonWriter w(out);
  message_header(w, "error", id, ts_ms).field("code", code).field("message", message).end_object();
  return out;
}

std::string encode_simple(std::string_view type, const RequestId& id, TimeMs ts_ms,
                          std::string_view key, std::string_view value, std::string out) {
  out.clear();
  JsonWriter w(out);
  message_header(w, type, id, ts_ms);
  if (!key.empty()) w.field(key, value);
  w.end_object();
  return out;
}

std::string encode_rejected(const Request& request, std::string_view code,
                            std::optional<AmountMinor> min_next_minor, TimeMs ts_ms,
                            std::string out) {
  out.clear();
  JsonWriter w(out);
  message_header(w, "rejected", request.id, ts_ms).field("lot", request.lot.view());
  const JsonKey name = request.type == RequestType::max_bid ? JsonKey("max") : JsonKey("amount");
  if (request.amount_valid) {
    w.field(name, request.amount_minor);
  } else {
    w.field_raw(name, request.amount_json.empty() ? "null" : request.amount_json);
  }
  w.field("code", code).field("min_next", min_next_minor).end_object();
  return out;
}

std::string encode_accepted(const RequestId& id, const AcceptedBid& bid, TimeMs ts_ms,
                            std::string out) {
  out.clear();
  JsonWriter w(out);
  message_header(w, "accepted", id, ts_ms)
      .field("lot", bid.lot.view())
      .field(bid.max_bid ? JsonKey("max") : JsonKey("amount"), bid.amount_minor)
      .field("leading", bid.leading)
      .field("price", bid.price_minor)
      .field("seq", static_cast<std::int64_t>(bid.seq))
      .field("deadline_ms", bid.deadline_ms)
      .field("min_next", bid.min_next_minor);
  if (bid.priority_match) w.field("match", true);
  w.end_object();
  return out;
}

std::string encode_registered(const RequestId& id, const LotId& lot, AmountMinor deposit_minor,
                              TimeMs ts_ms) {
  std::string out;
  JsonWriter w(out);
  message_header(w, "registered", id, ts_ms)
      .field("lot", lot.view())
      .field("deposit", deposit_minor)
      .end_object();
  return out;
}

std::string encode_orders(const RequestId& id, const std::vector<settlement::Order>& orders,
                          TimeMs ts_ms) {
  std::string out;
  JsonWriter w(out);
  message_header(w, "orders", id, ts_ms).begin_array("orders");
  for (const settlement::Order& order : orders) {
    w.begin_object();
    write_order_fields(w, order);
    w.end_object();
  }
  w.end_array().end_object();
  return out;
}

std::string encode_order(const RequestId& id, const settlement::Order* order, TimeMs ts_ms) {
  std::string out;
  JsonWriter w(out);
  message_header(w, "order", id, ts_ms);
  if (order != nullptr) write_order_fields(w, *order);
  w.end_object();
  return out;
}

}  // namespace auction::gateway
