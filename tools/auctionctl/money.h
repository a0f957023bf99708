// auctionctl's money and order commands (SPEC §8, docs/AUCTIONCTL.md): wallets credit,
// balances, orders list|show|ship|resolve, ledger check.
//
// Contract: add_money_commands() registers the commands on `app`; the one the user picked sets
// `action`, which returns the exit code. Values are checked before anything is sent (exit 2):
// amounts (major units with the currency's decimals, or integer minor units), currencies,
// references, tracking, order states, and exactly one of the alternatives a command offers.
// Threading: one run per thread.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "session.h"

namespace auctionctl {

// What the money commands were given (bound to their flags).
struct MoneyArgs {
  std::string user;
  std::string order;
  std::string currency;
  std::string amount;        // major units
  std::string amount_minor;  // minor units
  std::string reference;
  std::string state;
  std::string tracking;
  bool refund = false;
  bool release = false;
  // The ids given, for Session::check_ids.
  std::vector<const std::string*> ids() const;
};

void add_money_commands(CLI::App& app, Session& session, MoneyArgs& args,
                        std::function<int()>& action);

}  // namespace auctionctl
