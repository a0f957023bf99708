#include "auction/settlement/codec.h"

namespace auction::settlement {
namespace {

void currency(ByteWriter& out, CurrencyCode code) {
  out.text(code.view());
}
bool currency(ByteReader& in, CurrencyCode& code) {
  std::string_view raw;
  if (!in.text(raw)) return false;
  const auto parsed = CurrencyCode::parse(raw);
  if (!parsed) return false;
  code = *parsed;
  return true;
}
bool text(ByteReader& in, std::string& value, std::size_t max_bytes) {
  std::string_view raw;
  if (!in.text(raw) || raw.size() > max_bytes) return false;
  value = raw;
  return true;
}
bool amount(ByteReader& in, AmountMinor& value, AmountMinor min_value) {
  return in.integer(value) && value >= min_value && value <= kMaxAmountMinor;
}

}  // namespace

void encode_account(ByteWriter& out, const Account& account) {
  currency(out, account.currency);
  out.integer(account.balance_minor);
}
bool decode_account(ByteReader& in, Account& account) {
  return currency(in, account.currency) && in.integer(account.balance_minor);
}

void encode_order(ByteWriter& out, const Order& order) {
  out.text(order.lot.view());
  out.text(order.title.view());
  out.text(order.buyer.view());
  out.text(order.seller.view());
  currency(out, order.currency);
  for (const AmountMinor value : {order.price_minor, order.deposit_applied_minor, order.paid_minor,
                                  order.released_minor, order.fee_minor}) {
    out.integer(value);
  }
  out.enumeration(order.state);
  out.integer(order.close_seq);
  for (const TimeMs value : {order.closed_at_ms, order.payment_due_ms, order.shipped_at_ms,
                             order.confirm_due_ms, order.updated_ms}) {
    out.integer(value);
  }
  out.text(order.tracking);
  out.text(order.dispute_reason);
}

bool decode_order(ByteReader& in, Order& order) {
  std::string_view title;
  if (!in.id(order.lot, false) || !in.text(title)) return false;
  const auto parsed_title = Title::parse(title);
  if (!parsed_title) return false;
  order.title = *parsed_title;
  if (!in.id(order.buyer, false) || !in.id(order.seller, false) || !currency(in, order.currency)) {
    return false;
  }
  for (AmountMinor* value : {&order.price_minor, &order.deposit_applied_minor, &order.paid_minor,
                             &order.released_minor, &order.fee_minor}) {
    if (!amount(in, *value, 0)) return false;
  }
  if (!in.enumeration(order.state, OrderState::refunded) || !in.integer(order.close_seq)) {
    return false;
  }
  for (TimeMs* value : {&order.closed_at_ms, &order.payment_due_ms, &order.shipped_at_ms,
                        &order.confirm_due_ms, &order.updated_ms}) {
    if (!in.integer(*value) || !is_valid_time(*value)) return false;
  }
  return text(in, order.tracking, kMaxTrackingBytes) &&
         text(in, order.dispute_reason, kMaxReasonBytes);
}

void encode_lot_info(ByteWriter& out, const LotInfo& info) {
  out.text(info.seller.view());
  currency(out, info.currency);
  out.integer(info.deposit_minor);
  out.integer(static_cast<std::uint8_t>(info.closed));
}
bool decode_lot_info(ByteReader& in, LotInfo& info) {
  std::uint8_t closed = 0;
  if (!in.id(info.seller, false) || !currency(in, info.currency) ||
      !amount(in, info.deposit_minor, 0) || !in.integer(closed) || closed > 1) {
    return false;
  }
  info.closed = closed != 0;
  return true;
}

void encode_transfer(ByteWriter& out, const Transfer& transfer) {
  out.integer(transfer.id);
  out.integer(transfer.ts_ms);
  out.text(transfer.from);
  out.text(transfer.to);
  currency(out, transfer.currency);
  out.integer(transfer.amount_minor);
  out.enumeration(transfer.reason);
  out.text(transfer.reference);
}
bool decode_transfer(ByteReader& in, Transfer& transfer) {
  std::string_view from, to, reference;
  if (!in.integer(transfer.id) || !in.integer(transfer.ts_ms) || !in.text(from) || !in.text(to) ||
      !currency(in, transfer.currency) || !amount(in, transfer.amount_minor, 1) ||
      !in.enumeration(transfer.reason, TransferReason::refund) || !in.text(reference)) {
    return false;
  }
  if (!account_kind(from) || !account_kind(to)) return false;
  transfer.from = from;
  transfer.to = to;
  transfer.reference = reference;
  return true;
}

void encode_config(ByteWriter& out, const SettlementConfig& config) {
  out.integer(config.payment_window_ms);
  out.integer(config.confirm_window_ms);
  out.integer(config.fee_bps);
  out.enumeration(config.forfeit_to);
}
bool decode_config(ByteReader& in, SettlementConfig& config) {
  return in.integer(config.payment_window_ms) && in.integer(config.confirm_window_ms) &&
         in.integer(config.fee_bps) && in.enumeration(config.forfeit_to, ForfeitTo::platform);
}

namespace {

struct BodyEncoder {
  ByteWriter& out;
  void operator()(const Credit& c) {
    out.text(c.user.view());
    currency(out, c.currency);
    out.integer(c.amount_minor);
    out.text(c.reference);
    out.enumeration(c.source);
  }
  void operator()(const Register& r) {
    out.text(r.user.view());
    out.text(r.lot.view());
  }
  void operator()(const Pay& p) {
    out.text(p.user.view());
    out.text(p.order.view());
  }
  void operator()(const Ship& s) {
    out.text(s.order.view());
    out.text(s.tracking);
  }
  void operator()(const ConfirmReceipt& c) {
    out.text(c.user.view());
    out.text(c.order.view());
  }
  void operator()(const OpenDispute& d) {
    out.text(d.user.view());
    out.text(d.order.view());
    out.text(d.reason);
  }
  void operator()(const Resolve& r) {
    out.text(r.order.view());
    out.enumeration(r.resolution);
  }
  void operator()(const SettleTick&) {}
  void operator()(const Configure& c) { encode_config(out, c.config); }
};

// Fields are decoded as they were journaled: an amount out of range or an over-long text was
// refused when applied, and decodes as it was written (within the codec's own framing).
bool decode_body(ByteReader& in, std::uint8_t kind, InputBody& body) {
  switch (kind) {
    case 0: {
      Credit c;
      if (!in.id(c.user, false) || !currency(in, c.currency) || !in.integer(c.amount_minor) ||
          !text(in, c.reference, 0xFFFF) ||
          !in.enumeration(c.source, CreditSource::operator_command)) {
        return false;
      }
      body = std::move(c);
      return true;
    }
    case 1: {
      Register r;
      if (!in.id(r.user, false) || !in.id(r.lot, false)) return false;
      body = r;
      return true;
    }
    case 2: {
      Pay p;
      if (!in.id(p.user, false) || !in.id(p.order, false)) return false;
      body = p;
      return true;
    }
    case 3: {
      Ship s;
      if (!in.id(s.order, false) || !text(in, s.tracking, 0xFFFF)) return false;
      body = std::move(s);
      return true;
    }
    case 4: {
      ConfirmReceipt c;
      if (!in.id(c.user, false) || !in.id(c.order, false)) return false;
      body = c;
      return true;
    }
    case 5: {
      OpenDispute d;
      if (!in.id(d.user, false) || !in.id(d.order, false) || !text(in, d.reason, 0xFFFF)) {
        return false;
      }
      body = std::move(d);
      return true;
    }
    case 6: {
      Resolve r;
      if (!in.id(r.order, false) || !in.enumeration(r.resolution, Resolution::release)) {
        return false;
      }
      body = r;
      return true;
    }
    case 7:
      body = SettleTick{};
      return true;
    case 8: {
      Configure c;
      if (!decode_config(in, c.config)) return false;
      body = c;
      return true;
    }
    default:
      return false;
  }
}

}  // namespace

void encode_input_body(ByteWriter& out, const InputBody& body) {
  out.integer(static_cast<std::uint8_t>(body.index()));
  std::visit(BodyEncoder{out}, body);
}

bool decode_input_body(ByteReader& in, InputBody& body) {
  std::uint8_t kind = 0;
  return in.integer(kind) && decode_body(in, kind, body);
}

}  // namespace auction::settlement
