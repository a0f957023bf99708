// Settlement values as JSON, shared by the admin API and the bidder WebSocket's `order`
// messages, so that both show an order with the same field names.
//
// Contract: write_order_fields writes the fields of `order` into the object the writer has open
// (no braces): order, lot, title, buyer, seller, currency, state, price, deposit_applied, paid,
// due, escrow, fee, close_seq, closed_at_ms, payment_due_ms, shipped_at_ms, confirm_due_ms,
// updated_ms, tracking, dispute_reason. Amounts are integers in minor units; a time of 0 (not
// happened, no deadline) is null; empty tracking / dispute_reason are null.
// Threading: plain functions.
#pragma once

#include "auction/gateway/json_writer.h"
#include "auction/settlement/model.h"

namespace auction::gateway {

void write_order_fields(JsonWriter& json, const settlement::Order& order);

}  // namespace auction::gateway
