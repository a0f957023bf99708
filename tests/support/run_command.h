// Runs a program to completion and hands back its exit code, stdout and stderr, for tests that
// drive command-line tools such as auctionctl. The child gets /dev/null as stdin, dies with the
// test (PR_SET_PDEATHSIG), and inherits the test's environment without AUCTION_ADMIN_URL,
// AUCTION_ADMIN_TOKEN and AUCTION_DATA_DIR (so a developer's shell cannot point it at another
// server) unless `env` sets them; `env` entries are added or replace inherited ones. A child that
// is still running at the timeout is killed with SIGKILL and reported with exit code -1.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace auction::testing {

struct CommandResult {
  int exit_code = -1;  // the exit status, 128 + the signal that ended it, or -1 on timeout
  std::string out;
  std::string err;
};

// argv[0] is the program's path (no PATH search).
CommandResult run_command(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout = std::chrono::seconds(20),
                          const std::vector<std::pair<std::string, std::string>>& env = {});

}  // namespace auction::testing
