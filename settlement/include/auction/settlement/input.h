// Settlement's own inputs and their answers (SPEC §6): funding, deposits, payment, shipping,
// receipt, disputes, resolutions, timer ticks, configuration.
//
// Contract: every input is sequenced (its own sequence), timestamped, and journaled with the
// engine journal position (`engine_seq`) it was applied after, so replaying the engine journal
// and the settlement inputs merged on that position rebuilds the settlement state bit for bit.
// Every input gets exactly one Answer.
// Threading: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "auction/engine/types.h"
#include "auction/settlement/model.h"

namespace auction::settlement {

enum class CreditSource : std::uint8_t { webhook, operator_command };

// Money from the outside world into a wallet; `reference` is booked at most once.
struct Credit {
  UserId user;
  CurrencyCode currency;
  AmountMinor amount_minor = 0;
  std::string reference;
  CreditSource source = CreditSource::operator_command;
  friend bool operator==(const Credit&, const Credit&) = default;
};

// A bidder asks to be qualified for a lot with a deposit: hold it from the wallet.
struct Register {
  UserId user;
  LotId lot;
  friend bool operator==(const Register&, const Register&) = default;
};

// The buyer pays the balance due into the order's escrow.
struct Pay {
  UserId user;
  LotId order;
  friend bool operator==(const Pay&, const Pay&) = default;
};

// The seller (through the operator) marks the order shipped.
struct Ship {
  LotId order;
  std::string tracking;
  friend bool operator==(const Ship&, const Ship&) = default;
};

struct ConfirmReceipt {
  UserId user;
  LotId order;
  friend bool operator==(const ConfirmReceipt&, const ConfirmReceipt&) = default;
};

struct OpenDispute {
  UserId user;
  LotId order;
  std::string reason;
  friend bool operator==(const OpenDispute&, const OpenDispute&) = default;
};

enum class Resolution : std::uint8_t { refund, release };

// An operator ends a dispute: refund the buyer, or release the escrow to the seller.
struct Resolve {
  LotId order;
  Resolution resolution = Resolution::refund;
  friend bool operator==(const Resolve&, const Resolve&) = default;
};

// Advances settlement's clock to the input's timestamp (payment windows, auto-confirmation).
struct SettleTick {
  friend bool operator==(const SettleTick&, const SettleTick&) = default;
};

// The configuration in force from this input on (journaled when auctiond starts with another).
struct Configure {
  SettlementConfig config;
  friend bool operator==(const Configure&, const Configure&) = default;
};

using InputBody = std::variant<Credit, Register, Pay, Ship, ConfirmReceipt, OpenDispute, Resolve,
                               SettleTick, Configure>;

struct Input {
  Seq seq = 0;         // settlement's own sequence: 1, 2, 3, ...
  TimeMs ts_ms = 0;    // when it was sequenced
  Seq engine_seq = 0;  // the engine journal record it was applied after
  InputBody body;
  friend bool operator==(const Input&, const Input&) = default;
};

std::string_view input_name(const InputBody& body);

enum class SettleError : std::uint8_t {
  ok,
  invalid_amount,
  invalid_input,        // a malformed field (reference, tracking, reason, config)
  duplicate_reference,  // this external reference was booked already
  unknown_lot,
  lot_closed,
  no_deposit,  // the lot needs no deposit: nothing to hold
  currency_mismatch,
  insufficient_funds,
  unknown_order,
  not_buyer,
  wrong_state,  // the order is not in a state that allows this
  limit_reached,
  unavailable,  // not applied: settlement is stopping or cannot make it durable
};
std::string_view settle_error_name(SettleError error);

struct Answer {
  SettleError error = SettleError::ok;
  std::string_view message;       // for people (static storage)
  std::optional<Order> order;     // the order after the input (order inputs)
  AmountMinor held_minor = 0;     // Register: the amount held for the lot
  std::uint64_t transfer_id = 0;  // Credit: the transfer that booked it
  bool ok() const { return error == SettleError::ok; }
};

}  // namespace auction::settlement
