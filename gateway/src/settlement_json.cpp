#include "auction/gateway/settlement_json.h"

#include <optional>

namespace auction::gateway {

namespace {

// 0 means "not happened / no deadline" in an Order; clients get null rather than 1970.
std::optional<std::int64_t> time_or_null(TimeMs time_ms) {
  return time_ms == 0 ? std::nullopt : std::optional<std::int64_t>(time_ms);
}

void text_or_null(JsonWriter& json, std::string_view key, std::string_view text) {
  if (text.empty()) {
    json.field_null(key);
  } else {
    json.field(key, text);
  }
}

}  // namespace

void write_order_fields(JsonWriter& json, const settlement::Order& order) {
  json.field("order", order.lot.view())
      .field("lot", order.lot.view())
      .field("title", order.title.view())
      .field("buyer", order.buyer.view())
      .field("seller", order.seller.view())
      .field("currency", order.currency.view())
      .field("minor_unit", std::int64_t{order.currency.minor_unit_digits()})
      .field("state", settlement::order_state_name(order.state))
      .field("price", std::int64_t{order.price_minor})
      .field("deposit_applied", std::int64_t{order.deposit_applied_minor})
      .field("paid", std::int64_t{order.paid_minor})
      .field("due", std::int64_t{order.due_minor()})
      .field("escrow", std::int64_t{order.escrow_minor()})
      .field("fee", std::int64_t{order.fee_minor})
      .field("close_seq", std::uint64_t{order.close_seq})
      .field("closed_at_ms", time_or_null(order.closed_at_ms))
      .field("payment_due_ms", time_or_null(order.payment_due_ms))
      .field("shipped_at_ms", time_or_null(order.shipped_at_ms))
      .field("confirm_due_ms", time_or_null(order.confirm_due_ms))
      .field("updated_ms", time_or_null(order.updated_ms));
  text_or_null(json, "tracking", order.tracking);
  text_or_null(json, "dispute_reason", order.dispute_reason);
}

}  // namespace auction::gateway
