// Settlement's invariants and digest (SPEC §6: money is neither made nor lost), and its loading
// from the settlement store; the indexes that finish_load() rebuilds are the ones check() verifies.
#include "auction/settlement/settlement.h"

#include <map>

#include "auction/engine/engine.h"
#include "auction/settlement/codec.h"

namespace auction::settlement {

// ---------------------------------------------------------------------------------------------
// Invariants and digest.

std::vector<Violation> Settlement::check() const {
  std::vector<Violation> out;
  __extension__ typedef __int128 Wide;  // a sum of many amounts may pass 2^63
  std::map<std::string, Wide> sums;
  for (const auto& [name, account] : accounts_) {
    const auto kind = account_kind(name);
    if (!kind) out.push_back({"account " + name + ": unknown kind"});
    sums[std::string(account.currency.view())] += account.balance_minor;
    const bool negative_allowed = kind == AccountKind::world;
    if (!negative_allowed && account.balance_minor < 0) {
      out.push_back(
          {"account " + name + " is below zero: " + std::to_string(account.balance_minor)});
    }
    if (negative_allowed && account.balance_minor > 0) {
      out.push_back({"account " + name + " is above zero"});
    }
  }
  for (const auto& [currency, sum] : sums) {
    if (sum != 0) out.push_back({"currency " + currency + " does not sum to zero"});
  }
  for (const auto& [lot, order] : orders_) {
    const AmountMinor escrow = balance(escrow_account(lot));
    if (escrow != order.escrow_minor()) {
      out.push_back({"order " + std::string(lot.view()) + ": escrow holds " +
                     std::to_string(escrow) + ", paid in and not released " +
                     std::to_string(order.escrow_minor())});
    }
    const bool settled = order.state == OrderState::completed ||
                         order.state == OrderState::defaulted ||
                         order.state == OrderState::refunded;
    if (settled && escrow != 0) {
      out.push_back(
          {"order " + std::string(lot.view()) + " is settled but its escrow is not empty"});
    }
    if (order.deposit_applied_minor + order.paid_minor > order.price_minor) {
      out.push_back({"order " + std::string(lot.view()) + " was paid more than its price"});
    }
  }
  for (const auto& [name, account] : accounts_) {
    if (account_kind(name) != AccountKind::hold) continue;
    const auto hold = parse_hold(name);
    const auto users = hold ? holders_.find(hold->second) : holders_.end();
    if (users == holders_.end() || !users->second.contains(hold->first)) {
      out.push_back({"hold " + name + " is not indexed"});
    }
  }
  return out;
}

std::uint64_t Settlement::digest() const {
  std::string bytes;
  ByteWriter w(bytes);
  encode_config(w, config_);
  w.integer(now_ms_);
  w.integer(last_input_seq_);
  w.integer(transfer_count_);
  w.integer(transfer_chain_);
  for (const auto& [name, account] : accounts_) {
    w.text(name);
    encode_account(w, account);
  }
  for (const auto& [lot, order] : orders_)
    encode_order(w, order);
  for (const auto& [lot, info] : lots_) {
    w.text(lot.view());
    encode_lot_info(w, info);
  }
  for (const std::string& reference : references_)
    w.text(reference);
  return fnv1a64(bytes);
}

// ---------------------------------------------------------------------------------------------
// Loading.

void Settlement::load_config(const SettlementConfig& config, TimeMs now_ms, Seq last_input_seq,
                             std::uint64_t transfer_count, std::uint64_t transfer_chain) {
  config_ = config;
  now_ms_ = now_ms;
  last_input_seq_ = last_input_seq;
  transfer_count_ = transfer_count;
  transfer_chain_ = transfer_chain;
}

void Settlement::load_account(const std::string& name, const Account& account) {
  accounts_[name] = account;
}

void Settlement::load_order(const Order& order) {
  orders_[order.lot] = order;
}

void Settlement::load_lot(const LotId& lot, const LotInfo& info) {
  lots_[lot] = info;
}

void Settlement::load_reference(const std::string& reference) {
  references_.insert(reference);
}

void Settlement::finish_load() {
  holders_.clear();
  timers_.clear();
  for (const auto& [name, account] : accounts_) {
    if (account_kind(name) != AccountKind::hold) continue;
    if (const auto hold = parse_hold(name)) holders_[hold->second].insert(hold->first);
  }
  for (auto& [lot, order] : orders_) {
    if (const TimeMs due = order.timer_due_ms(); due != 0) timers_.emplace(due, lot);
  }
  changes_ = Changes{};
}

}  // namespace auction::settlement
