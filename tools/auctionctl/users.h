// auctionctl's user commands (SPEC §8, docs/AUCTIONCTL.md): users add|token|revoke|list, a
// deposit waiver (users qualify) and a priority right (users priority, SPEC §4.3).
//
// Contract: add_user_commands() registers the commands on `app`; the one the user picked sets
// `action`, which returns the exit code. Threading: one run per thread.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "session.h"

namespace auctionctl {

// What the user commands were given (bound to their flags).
struct UserArgs {
  std::string user;
  std::string role = "bidder";
  std::string lot;
  int rank = 0;
};

void add_user_commands(CLI::App& app, Session& session, UserArgs& args,
                       std::function<int()>& action);

}  // namespace auctionctl
