// Where the gateways (bidder WebSocket, payment webhook, admin API) reach escrow and settlement
// (SPEC §6): submit an input, read committed state. The server binary implements it over the
// persistence layer's Settler and SettlementStore.
//
// Contract: submit() returns false when the input was refused at once (queue full, stopping,
// failed: answer `unavailable`); otherwise `done` is called exactly once, after the input is
// durable, with settlement's answer. Reads see committed (durable) state only.
// Threading: every method from any thread; `done` runs on the settlement thread and must only
// hand the answer over (post it to the caller's executor), never block.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "auction/engine/status.h"
#include "auction/settlement/settlement.h"

namespace auction::gateway {

class SettlementPort {
 public:
  virtual ~SettlementPort() = default;
  virtual bool submit(settlement::InputBody body,
                      std::function<void(const settlement::Answer&)> done) = 0;
  // A user's accounts (wallets, holds, payables) by name.
  virtual std::vector<std::pair<std::string, settlement::Account>> accounts_of(
      const UserId& user) const = 0;
  // Every account whose name starts with `prefix` ("" = all).
  virtual std::vector<std::pair<std::string, settlement::Account>> accounts(
      std::string_view prefix) const = 0;
  virtual std::optional<settlement::Order> order(const LotId& lot) const = 0;
  // Every order, or those `user` bought or sold.
  virtual std::vector<settlement::Order> orders(const UserId* user) const = 0;
  // Every ledger invariant checked against the committed state and the transfer log.
  virtual Status audit(settlement::LedgerAudit& out) const = 0;
  // Whether `user` has an account that may hold money (webhook and operator credits).
  virtual bool user_exists(const UserId& user) const = 0;
};

}  // namespace auction::gateway
