// Escrow and settlement (SPEC §6): a pure, deterministic state machine downstream of the engine.
//
// Contract:
//   - Two kinds of input, applied in one total order by the caller: the engine's events (in
//     journal order; on_engine_event) and settlement's own inputs (apply). Time is an input:
//     each advances settlement's clock to its timestamp first, and every timer due by then
//     (payment window → defaulted, auto-confirmation → completed) fires, in (due, lot) order.
//   - A double-entry ledger: every movement is one transfer between two accounts of one
//     currency. Invariants (check()): each currency sums to zero; no account but the world's is
//     below zero; each order's escrow account holds exactly what was paid in and not released;
//     each external reference is booked once. A broken invariant is a bug: AUCTION_ASSERT stops
//     the process before such a state can be persisted.
//   - The flow: Credit → wallet; Register → hold (the caller then qualifies the bidder in the
//     engine); LotClosed sold → losers' holds released, an order with the winner's hold applied;
//     unsold/cancelled → every hold released; Pay → escrow; Ship; ConfirmReceipt (or the timer)
//     → seller paid less the fee; no payment in time → defaulted, deposit forfeited; OpenDispute
//     stops the timer; Resolve refunds or releases.
//   - Changes since take_changes() are tracked so a store can persist exactly what changed, in
//     the same transaction as its read position.
// No I/O, no clock, no threads. Threading: one thread owns a Settlement.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "auction/engine/event.h"
#include "auction/settlement/input.h"
#include "auction/settlement/model.h"

namespace auction::settlement {

struct SettlementLimits {
  std::size_t max_references = 10'000'000;
  std::size_t max_accounts = 10'000'000;
};

// What changed since the last take_changes(): names of accounts, orders and lots to write
// again, and the transfers booked, in order (a credit's transfer books its reference).
struct Changes {
  std::set<std::string> accounts;
  std::set<LotId> orders;
  std::set<LotId> lots;
  std::vector<Transfer> transfers;
  bool config = false;
  bool empty() const {
    return accounts.empty() && orders.empty() && lots.empty() && transfers.empty() && !config;
  }
};

// Orders whose state changed during one step, to tell their buyer and seller.
struct Notices {
  std::vector<Order> orders;
};

// What a ledger audit found (a store's audit(); auctionctl ledger check).
struct LedgerAudit {
  std::uint64_t accounts = 0;
  std::uint64_t orders = 0;
  std::uint64_t transfers = 0;
  std::uint64_t references = 0;
  Seq engine_cursor = 0;
  Seq input_seq = 0;
  std::uint64_t digest = 0;
  std::vector<std::string> problems;  // empty when every invariant holds
};

// One invariant that does not hold, for people.
struct Violation {
  std::string what;
};

class Settlement {
 public:
  explicit Settlement(SettlementLimits limits = {}) : limits_(limits) {}

  // The events of one durable engine command (all carry its seq and ts).
  void on_engine_event(const Event& event, Notices& notices);
  Answer apply(const Input& input, Notices& notices);

  // When a SettleTick would next change something (a payment or confirmation window ends).
  std::optional<TimeMs> next_timer_ms() const;

  const SettlementConfig& config() const { return config_; }
  TimeMs now_ms() const { return now_ms_; }
  Seq last_input_seq() const { return last_input_seq_; }
  std::uint64_t transfer_count() const { return transfer_count_; }
  AmountMinor balance(const std::string& account) const;
  const std::map<std::string, Account>& accounts() const { return accounts_; }
  const std::map<LotId, Order>& orders() const { return orders_; }
  const std::map<LotId, LotInfo>& lots() const { return lots_; }
  const Order* find_order(const LotId& lot) const;
  bool is_booked(std::string_view reference) const;
  // The holds of open lots: (user, lot) pairs whose bidder must be qualified in the engine.
  std::vector<std::pair<UserId, LotId>> open_holds() const;

  // Every invariant of the contract; empty when all hold.
  std::vector<Violation> check() const;
  // A 64-bit digest of the whole state (config, clock, accounts, orders, lots, references, the
  // transfer chain). Equal states, equal digests: a replay must reproduce it.
  std::uint64_t digest() const;

  // What changed since the last call; the tracking starts afresh.
  Changes take_changes();

  // Loading persisted state (a store's load()): set every part, then finish_load() rebuilds the
  // indexes (holds per lot, timers) and checks the invariants.
  void load_config(const SettlementConfig& config, TimeMs now_ms, Seq last_input_seq,
                   std::uint64_t transfer_count, std::uint64_t transfer_chain);
  void load_account(const std::string& name, const Account& account);
  void load_order(const Order& order);
  void load_lot(const LotId& lot, const LotInfo& info);
  void load_reference(const std::string& reference);
  void finish_load();
  std::uint64_t transfer_chain() const { return transfer_chain_; }

 private:
  void advance(TimeMs ts_ms, Notices& notices);
  void on_lot_closed(const LotClosed& closed, Seq seq, Notices& notices);
  void book(const std::string& from, const std::string& to, CurrencyCode currency,
            AmountMinor amount_minor, TransferReason reason, std::string_view reference);
  void release_holds(const LotId& lot, const UserId* except);
  void pay_out(Order& order, TransferReason reason);
  void set_timer(Order& order, TimeMs due_ms);
  void clear_timer(const Order& order);
  void touch(Order& order, Notices& notices);

  Answer credit(const Credit& input);
  Answer hold_deposit(const Register& input);
  Answer pay(const Pay& input, Notices& notices);
  Answer ship(const Ship& input, Notices& notices);
  Answer confirm(const ConfirmReceipt& input, Notices& notices);
  Answer dispute(const OpenDispute& input, Notices& notices);
  Answer resolve(const Resolve& input, Notices& notices);
  Answer configure(const Configure& input);
  // The order `lot` if it exists and `user` bought it (`user` empty: any), else an error.
  Answer find_for(const LotId& lot, const UserId* user, Order*& out);

  SettlementLimits limits_;
  SettlementConfig config_;
  TimeMs now_ms_ = 0;
  Seq last_input_seq_ = 0;
  std::uint64_t transfer_count_ = 0;
  std::uint64_t transfer_chain_ = 0;  // FNV-1a over every transfer booked, in order
  std::map<std::string, Account> accounts_;
  std::map<LotId, Order> orders_;
  std::map<LotId, LotInfo> lots_;
  std::set<std::string, std::less<>> references_;
  std::map<LotId, std::set<UserId>> holders_;  // index: the holds per lot
  std::set<std::pair<TimeMs, LotId>> timers_;  // index: orders waiting on the clock
  Changes changes_;
};

}  // namespace auction::settlement
