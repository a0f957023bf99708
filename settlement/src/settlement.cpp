#include "auction/settlement/settlement.h"

#include <algorithm>

#include "auction/engine/assert.h"
#include "auction/engine/engine.h"
#include "auction/settlement/codec.h"

namespace auction::settlement {
namespace {

Answer refuse(SettleError error, std::string_view message) {
  return Answer{error, message, std::nullopt, 0, 0};
}

// External references: 1–64 printable ASCII characters, no spaces (provider ids, bank refs).
bool is_valid_reference(std::string_view reference) {
  if (reference.empty() || reference.size() > kMaxReferenceBytes) return false;
  return std::all_of(reference.begin(), reference.end(),
                     [](char c) { return c > 0x20 && c < 0x7F; });
}

bool is_valid_text(std::string_view text, std::size_t max_bytes) {
  return !text.empty() && text.size() <= max_bytes && is_valid_utf8(text);
}

TimeMs add_clamped(TimeMs at_ms, DurationMs by_ms) {
  return std::min(at_ms + by_ms, kMaxTimeMs);  // both ≤ their maxima: no overflow
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Reads.

AmountMinor Settlement::balance(const std::string& account) const {
  const auto found = accounts_.find(account);
  return found == accounts_.end() ? 0 : found->second.balance_minor;
}

const Order* Settlement::find_order(const LotId& lot) const {
  const auto found = orders_.find(lot);
  return found == orders_.end() ? nullptr : &found->second;
}

bool Settlement::is_booked(std::string_view reference) const {
  return references_.find(reference) != references_.end();
}

std::optional<TimeMs> Settlement::next_timer_ms() const {
  if (timers_.empty()) return std::nullopt;
  return timers_.begin()->first;
}

std::vector<std::pair<UserId, LotId>> Settlement::open_holds() const {
  std::vector<std::pair<UserId, LotId>> out;
  for (const auto& [lot, users] : holders_) {
    const auto info = lots_.find(lot);
    if (info != lots_.end() && info->second.closed) continue;
    for (const UserId& user : users)
      out.emplace_back(user, lot);
  }
  return out;
}

Changes Settlement::take_changes() {
  return std::exchange(changes_, Changes{});
}

// ---------------------------------------------------------------------------------------------
// The ledger.

void Settlement::book(const std::string& from, const std::string& to, CurrencyCode currency,
                      AmountMinor amount_minor, TransferReason reason, std::string_view reference) {
  AUCTION_ASSERT(amount_minor > 0 && from != to);
  Account& source = accounts_[from];
  Account& target = accounts_[to];
  if (source.currency.empty()) source.currency = currency;
  if (target.currency.empty()) target.currency = currency;
  AUCTION_ASSERT(source.currency == currency && target.currency == currency);
  // No account but the outside world's may go below zero: callers check funds first.
  AUCTION_ASSERT(account_kind(from) == AccountKind::world || source.balance_minor >= amount_minor);
  source.balance_minor -= amount_minor;
  target.balance_minor += amount_minor;
  const Transfer transfer{++transfer_count_, now_ms_,      from,   to,
                          currency,          amount_minor, reason, std::string(reference)};
  std::string bytes;
  ByteWriter w(bytes);
  encode_transfer(w, transfer);
  transfer_chain_ = fnv1a64(bytes, transfer_chain_ ^ 0xCBF29CE484222325ULL);
  changes_.accounts.insert(from);
  changes_.accounts.insert(to);
  changes_.transfers.push_back(transfer);
  // A released hold is gone: holds are per (user, lot) and would otherwise pile up forever.
  if (account_kind(from) == AccountKind::hold && accounts_[from].balance_minor == 0) {
    accounts_.erase(from);
  }
}

void Settlement::release_holds(const LotId& lot, const UserId* except) {
  const auto found = holders_.find(lot);
  if (found == holders_.end()) return;
  const CurrencyCode currency = lots_.at(lot).currency;
  for (const UserId& user : found->second) {
    if (except != nullptr && user == *except) continue;
    const std::string hold = hold_account(user, lot);
    const AmountMinor held = balance(hold);
    if (held > 0) {
      book(hold, wallet_account(user, currency), currency, held, TransferReason::deposit_release,
           lot.view());
    }
  }
  if (except != nullptr && found->second.contains(*except)) {
    found->second = {*except};
  } else {
    holders_.erase(found);
  }
}

// Everything in the order's escrow goes to the seller, less the platform's fee.
void Settlement::pay_out(Order& order, TransferReason reason) {
  const AmountMinor escrow = order.escrow_minor();
  if (escrow == 0) return;
  const std::string from = escrow_account(order.lot);
  const AmountMinor fee = fee_of(escrow, config_.fee_bps);
  const bool all_to_platform =
      reason == TransferReason::forfeit && config_.forfeit_to == ForfeitTo::platform;
  if (all_to_platform) {
    book(from, fees_account(order.currency), order.currency, escrow, reason, order.lot.view());
    order.fee_minor += escrow;
  } else {
    if (fee > 0) {
      book(from, fees_account(order.currency), order.currency, fee, TransferReason::fee,
           order.lot.view());
    }
    if (escrow - fee > 0) {
      book(from, payable_account(order.seller, order.currency), order.currency, escrow - fee,
           reason, order.lot.view());
    }
    order.fee_minor += fee;
  }
  order.released_minor += escrow;
}

void Settlement::set_timer(Order& order, TimeMs due_ms) {
  timers_.emplace(due_ms, order.lot);
}

void Settlement::clear_timer(const Order& order) {
  if (const TimeMs due = order.timer_due_ms(); due != 0) timers_.erase({due, order.lot});
}

void Settlement::touch(Order& order, Notices& notices) {
  order.updated_ms = now_ms_;
  changes_.orders.insert(order.lot);
  notices.orders.push_back(order);
}

// ---------------------------------------------------------------------------------------------
// Time.

void Settlement::advance(TimeMs ts_ms, Notices& notices) {
  now_ms_ = std::max(now_ms_, ts_ms);
  while (!timers_.empty() && timers_.begin()->first <= now_ms_) {
    const LotId lot = timers_.begin()->second;
    timers_.erase(timers_.begin());
    Order& order = orders_.at(lot);
    if (order.state == OrderState::awaiting_payment) {
      // SPEC §6.7: no payment in time; the deposit is forfeited.
      order.state = OrderState::defaulted;
      pay_out(order, TransferReason::forfeit);
    } else {
      AUCTION_ASSERT(order.state == OrderState::shipped);
      // SPEC §6.6: receipt confirmed automatically.
      order.state = OrderState::completed;
      pay_out(order, TransferReason::payout);
    }
    touch(order, notices);
  }
}

// ---------------------------------------------------------------------------------------------
// The engine's events.

void Settlement::on_engine_event(const Event& event, Notices& notices) {
  advance(event.ts_ms, notices);
  if (const auto* configured = std::get_if<LotConfigured>(&event.body)) {
    const LotConfig& config = configured->config;
    LotInfo& info = lots_[config.id];
    info.seller = config.seller;
    info.currency = config.currency;
    info.deposit_minor = config.deposit_minor;
    changes_.lots.insert(config.id);
  } else if (const auto* closed = std::get_if<LotClosed>(&event.body)) {
    on_lot_closed(*closed, event.seq, notices);
  }
}

void Settlement::on_lot_closed(const LotClosed& closed, Seq seq, Notices& notices) {
  LotInfo& info = lots_[closed.lot];
  info.seller = closed.seller;
  info.currency = closed.currency;
  info.closed = true;
  changes_.lots.insert(closed.lot);
  if (closed.outcome != Outcome::sold) {
    release_holds(closed.lot, nullptr);  // unsold (reserve not met, no bid) or cancelled
    return;
  }
  AUCTION_ASSERT(!orders_.contains(closed.lot));
  release_holds(closed.lot, &closed.winner);  // the losers'
  Order order;
  order.lot = closed.lot;
  order.title = closed.title;
  order.buyer = closed.winner;
  order.seller = closed.seller;
  order.currency = closed.currency;
  order.price_minor = closed.price_minor;
  order.close_seq = seq;
  order.closed_at_ms = closed.closed_at_ms;
  // The winner's deposit pays part of the price; anything held above the price goes back.
  const std::string hold = hold_account(closed.winner, closed.lot);
  const AmountMinor held = balance(hold);
  const AmountMinor applied = std::min(held, closed.price_minor);
  if (applied > 0) {
    book(hold, escrow_account(closed.lot), closed.currency, applied,
         TransferReason::deposit_applied, closed.lot.view());
  }
  if (held > applied) {
    book(hold, wallet_account(closed.winner, closed.currency), closed.currency, held - applied,
         TransferReason::deposit_release, closed.lot.view());
  }
  holders_.erase(closed.lot);
  order.deposit_applied_minor = applied;
  order.payment_due_ms = add_clamped(closed.closed_at_ms, config_.payment_window_ms);
  Order& stored = orders_.emplace(closed.lot, order).first->second;
  if (stored.due_minor() == 0) {
    stored.state = OrderState::paid;  // the deposit covered the price
  } else {
    set_timer(stored, stored.payment_due_ms);
  }
  touch(stored, notices);
}

// ---------------------------------------------------------------------------------------------
// Settlement's own inputs.

Answer Settlement::apply(const Input& input, Notices& notices) {
  AUCTION_ASSERT(input.seq == last_input_seq_ + 1);
  last_input_seq_ = input.seq;
  advance(input.ts_ms, notices);
  return std::visit(
      [&](const auto& body) -> Answer {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, Credit>) return credit(body);
        if constexpr (std::is_same_v<T, Register>) return hold_deposit(body);
        if constexpr (std::is_same_v<T, Pay>) return pay(body, notices);
        if constexpr (std::is_same_v<T, Ship>) return ship(body, notices);
        if constexpr (std::is_same_v<T, ConfirmReceipt>) return confirm(body, notices);
        if constexpr (std::is_same_v<T, OpenDispute>) return dispute(body, notices);
        if constexpr (std::is_same_v<T, Resolve>) return resolve(body, notices);
        if constexpr (std::is_same_v<T, Configure>) return configure(body);
        return Answer{};  // SettleTick: the clock moved; timers fired above
      },
      input.body);
}

Answer Settlement::credit(const Credit& input) {
  if (!is_valid_amount(input.amount_minor)) {
    return refuse(SettleError::invalid_amount, "the amount must be an integer in 1..10^15");
  }
  if (!is_valid_reference(input.reference)) {
    return refuse(SettleError::invalid_input,
                  "the reference must be 1-64 printable ASCII characters without spaces");
  }
  if (is_booked(input.reference)) {
    return refuse(SettleError::duplicate_reference, "this payment reference was booked already");
  }
  if (references_.size() >= limits_.max_references || accounts_.size() + 2 > limits_.max_accounts) {
    return refuse(SettleError::limit_reached, "the ledger is full");
  }
  const std::string wallet = wallet_account(input.user, input.currency);
  // A wallet of the user's in that currency is that currency's, by its name: no mismatch here.
  book(world_account(input.currency), wallet, input.currency, input.amount_minor,
       TransferReason::credit, input.reference);
  references_.insert(input.reference);
  Answer answer;
  answer.transfer_id = transfer_count_;
  return answer;
}

Answer Settlement::hold_deposit(const Register& input) {
  const auto found = lots_.find(input.lot);
  if (found == lots_.end()) return refuse(SettleError::unknown_lot, "no such lot");
  const LotInfo& info = found->second;
  if (info.closed) return refuse(SettleError::lot_closed, "bidding on this lot is over");
  if (info.deposit_minor == 0) return refuse(SettleError::no_deposit, "this lot needs no deposit");
  const std::string hold = hold_account(input.user, input.lot);
  Answer answer;
  if (const AmountMinor held = balance(hold); held > 0) {
    answer.held_minor = held;  // registered already: the hold stands, nothing moves twice
    return answer;
  }
  const std::string wallet = wallet_account(input.user, info.currency);
  if (balance(wallet) < info.deposit_minor) {
    return refuse(SettleError::insufficient_funds,
                  "the wallet does not hold the lot's deposit in its currency");
  }
  if (accounts_.size() + 1 > limits_.max_accounts) {
    return refuse(SettleError::limit_reached, "the ledger is full");
  }
  book(wallet, hold, info.currency, info.deposit_minor, TransferReason::deposit_hold,
       input.lot.view());
  holders_[input.lot].insert(input.user);
  answer.held_minor = info.deposit_minor;
  return answer;
}

Answer Settlement::find_for(const LotId& lot, const UserId* user, Order*& out) {
  const auto found = orders_.find(lot);
  if (found == orders_.end()) return refuse(SettleError::unknown_order, "no such order");
  if (user != nullptr && found->second.buyer != *user) {
    return refuse(SettleError::not_buyer, "only the buyer may do this");
  }
  out = &found->second;
  return Answer{};
}

Answer Settlement::pay(const Pay& input, Notices& notices) {
  Order* order = nullptr;
  if (Answer a = find_for(input.order, &input.user, order); !a.ok()) return a;
  if (order->state != OrderState::awaiting_payment) {
    return refuse(SettleError::wrong_state, "the order is not awaiting payment");
  }
  const AmountMinor due = order->due_minor();
  const std::string wallet = wallet_account(order->buyer, order->currency);
  if (balance(wallet) < due) {
    return refuse(SettleError::insufficient_funds, "the wallet does not hold the balance due");
  }
  clear_timer(*order);
  book(wallet, escrow_account(order->lot), order->currency, due, TransferReason::payment,
       order->lot.view());
  order->paid_minor += due;
  order->state = OrderState::paid;
  touch(*order, notices);
  return Answer{SettleError::ok, {}, *order, 0, 0};
}

Answer Settlement::ship(const Ship& input, Notices& notices) {
  Order* order = nullptr;
  if (Answer a = find_for(input.order, nullptr, order); !a.ok()) return a;
  if (!is_valid_text(input.tracking, kMaxTrackingBytes)) {
    return refuse(SettleError::invalid_input, "the tracking reference must be 1-100 bytes of text");
  }
  if (order->state != OrderState::paid) {
    return refuse(SettleError::wrong_state, "only a paid order can be shipped");
  }
  order->state = OrderState::shipped;
  order->tracking = input.tracking;
  order->shipped_at_ms = now_ms_;
  order->confirm_due_ms = add_clamped(now_ms_, config_.confirm_window_ms);
  set_timer(*order, order->confirm_due_ms);
  touch(*order, notices);
  return Answer{SettleError::ok, {}, *order, 0, 0};
}

Answer Settlement::confirm(const ConfirmReceipt& input, Notices& notices) {
  Order* order = nullptr;
  if (Answer a = find_for(input.order, &input.user, order); !a.ok()) return a;
  // SPEC §6.6: receipt only of what was shipped (a hand-over in person is marked shipped, with
  // a note such as "in person"): escrow is never released before any goods moved.
  if (order->state != OrderState::shipped) {
    return refuse(SettleError::wrong_state,
                  "only a shipped order can be confirmed received (mark a hand-over in person "
                  "as shipped, e.g. tracking \"in person\")");
  }
  clear_timer(*order);
  order->state = OrderState::completed;
  pay_out(*order, TransferReason::payout);
  touch(*order, notices);
  return Answer{SettleError::ok, {}, *order, 0, 0};
}

Answer Settlement::dispute(const OpenDispute& input, Notices& notices) {
  Order* order = nullptr;
  if (Answer a = find_for(input.order, &input.user, order); !a.ok()) return a;
  if (!is_valid_text(input.reason, kMaxReasonBytes)) {
    return refuse(SettleError::invalid_input, "the reason must be 1-1000 bytes of text");
  }
  if (order->state != OrderState::paid && order->state != OrderState::shipped) {
    return refuse(SettleError::wrong_state, "only a paid or shipped order can be disputed");
  }
  clear_timer(*order);  // the automatic confirmation stops
  order->state = OrderState::disputed;
  order->dispute_reason = input.reason;
  touch(*order, notices);
  return Answer{SettleError::ok, {}, *order, 0, 0};
}

Answer Settlement::resolve(const Resolve& input, Notices& notices) {
  Order* order = nullptr;
  if (Answer a = find_for(input.order, nullptr, order); !a.ok()) return a;
  if (order->state != OrderState::disputed) {
    return refuse(SettleError::wrong_state, "only a disputed order can be resolved");
  }
  if (input.resolution == Resolution::refund) {
    const AmountMinor escrow = order->escrow_minor();
    if (escrow > 0) {
      book(escrow_account(order->lot), wallet_account(order->buyer, order->currency),
           order->currency, escrow, TransferReason::refund, order->lot.view());
    }
    order->released_minor += escrow;
    order->state = OrderState::refunded;
  } else {
    order->state = OrderState::completed;
    pay_out(*order, TransferReason::payout);
  }
  touch(*order, notices);
  return Answer{SettleError::ok, {}, *order, 0, 0};
}

Answer Settlement::configure(const Configure& input) {
  if (!is_valid(input.config)) {
    return refuse(SettleError::invalid_input,
                  "windows must be 1 ms..366 days and the fee at most 10,000 basis points");
  }
  config_ = input.config;  // running windows keep the due times they were given
  changes_.config = true;
  return Answer{};
}

}  // namespace auction::settlement
