// Settlement's vocabulary (SPEC §6): accounts of the double-entry ledger, transfers, orders, the
// lots settlement knows of, and its configuration.
//
// Contract: amounts are integers in a currency's minor unit; every account has one currency.
// Account names are strings with a kind prefix, so that LMDB keeps one user's accounts together:
//   wallet/USER/CUR   a user's available money
//   hold/USER/LOT     a bidder's deposit held for a lot (in the lot's currency)
//   escrow/LOT        the order of a sold lot (an order's id is its lot's id)
//   payable/USER/CUR  what the platform owes a seller
//   fees/CUR          the platform's fees
//   world/CUR         the payment provider: minus all money that ever came in
// Threading: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "auction/engine/types.h"

namespace auction::settlement {

enum class AccountKind : std::uint8_t { wallet, hold, escrow, payable, fees, world };

std::string wallet_account(const UserId& user, CurrencyCode currency);
std::string hold_account(const UserId& user, const LotId& lot);
// hold_account()'s inverse: "hold/USER/LOT" → (user, lot); nothing for any other name.
std::optional<std::pair<UserId, LotId>> parse_hold(std::string_view name);
std::string escrow_account(const LotId& lot);
std::string payable_account(const UserId& user, CurrencyCode currency);
std::string fees_account(CurrencyCode currency);
std::string world_account(CurrencyCode currency);
// The kind of an account name, or nothing for a name no function above makes.
std::optional<AccountKind> account_kind(std::string_view name);
std::string_view account_kind_name(AccountKind kind);

struct Account {
  CurrencyCode currency;
  AmountMinor balance_minor = 0;
  friend bool operator==(const Account&, const Account&) = default;
};

// Why money moved.
enum class TransferReason : std::uint8_t {
  credit,           // the payment provider (webhook) or an operator funded a wallet
  deposit_hold,     // wallet → hold when a bidder registers for a lot with a deposit
  deposit_release,  // hold → wallet: lost, unsold, cancelled, or the part above the price
  deposit_applied,  // the winner's hold → the order's escrow
  payment,          // the buyer's wallet → escrow
  payout,           // escrow → the seller's payable
  fee,              // escrow → the platform's fees
  forfeit,          // escrow → seller (or platform) when the buyer defaulted
  refund,           // escrow → the buyer's wallet after a dispute
};
std::string_view transfer_reason_name(TransferReason reason);

struct Transfer {
  std::uint64_t id = 0;  // 1, 2, 3, ... in the order they were booked
  TimeMs ts_ms = 0;
  std::string from;
  std::string to;
  CurrencyCode currency;
  AmountMinor amount_minor = 0;
  TransferReason reason = TransferReason::credit;
  std::string reference;  // the external reference (credit) or the lot / order id
  friend bool operator==(const Transfer&, const Transfer&) = default;
};

enum class OrderState : std::uint8_t {
  awaiting_payment,
  paid,
  shipped,
  completed,
  defaulted,
  disputed,
  refunded,
};
std::string_view order_state_name(OrderState state);
std::optional<OrderState> parse_order_state(std::string_view name);

inline constexpr std::size_t kMaxTrackingBytes = 100;
inline constexpr std::size_t kMaxReasonBytes = 1'000;
inline constexpr std::size_t kMaxReferenceBytes = 64;

// The order a sold lot creates; its id is the lot's id.
struct Order {
  LotId lot;
  Title title;
  UserId buyer;
  UserId seller;
  CurrencyCode currency;
  AmountMinor price_minor = 0;
  AmountMinor deposit_applied_minor = 0;  // the winner's deposit, applied to the price
  AmountMinor paid_minor = 0;             // paid into escrow from the buyer's wallet
  AmountMinor released_minor = 0;         // paid out of escrow (seller, fees, refund)
  AmountMinor fee_minor = 0;              // the platform's part, once taken
  OrderState state = OrderState::awaiting_payment;
  Seq close_seq = 0;  // the engine command that closed the lot
  TimeMs closed_at_ms = 0;
  TimeMs payment_due_ms = 0;  // awaiting_payment: defaulted at this instant
  TimeMs shipped_at_ms = 0;
  TimeMs confirm_due_ms = 0;  // shipped: receipt confirmed automatically at this instant
  TimeMs updated_ms = 0;
  std::string tracking;
  std::string dispute_reason;

  AmountMinor due_minor() const { return price_minor - deposit_applied_minor - paid_minor; }
  AmountMinor escrow_minor() const { return deposit_applied_minor + paid_minor - released_minor; }
  // When an order in this state waits on the clock; 0 = it does not.
  TimeMs timer_due_ms() const {
    if (state == OrderState::awaiting_payment) return payment_due_ms;
    if (state == OrderState::shipped) return confirm_due_ms;
    return 0;
  }
  friend bool operator==(const Order&, const Order&) = default;
};

// What settlement knows of a lot, from the engine's events.
struct LotInfo {
  UserId seller;
  CurrencyCode currency;
  AmountMinor deposit_minor = 0;
  bool closed = false;  // closed or cancelled: no more holds
  friend bool operator==(const LotInfo&, const LotInfo&) = default;
};

enum class ForfeitTo : std::uint8_t { seller, platform };

struct SettlementConfig {
  DurationMs payment_window_ms = 72LL * 60 * 60 * 1000;       // SPEC §6: default 72 h
  DurationMs confirm_window_ms = 10LL * 24 * 60 * 60 * 1000;  // SPEC §6: default 10 days
  std::uint32_t fee_bps = 500;                                // 5 %, of the price
  ForfeitTo forfeit_to = ForfeitTo::seller;
  friend bool operator==(const SettlementConfig&, const SettlementConfig&) = default;
};
inline constexpr std::uint32_t kMaxFeeBps = 10'000;
bool is_valid(const SettlementConfig& config);

// `amount` × `bps` / 10,000, rounded down, without overflow for any valid amount.
AmountMinor fee_of(AmountMinor amount_minor, std::uint32_t bps);

}  // namespace auction::settlement
