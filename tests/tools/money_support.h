// Money as auctionctl and the admin API report it, for the money and order tests: balances,
// the ledger's zero sum, quick lots and a whole sale, raw HTTP answers and their error codes.
#pragma once

#include <doctest/doctest.h>
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "auctionctl_support.h"

namespace auction::testing {

// ---------------------------------------------------------------------------------------------
// Money as auctionctl reports it.

// Every account's balance, from `balances --json` (optionally one user's).
inline std::map<std::string, std::int64_t> balances(const Auctiond& server,
                                                    const std::string& user = {}) {
  std::vector<std::string> args = {"balances", "--json"};
  if (!user.empty()) args.insert(args.end(), {"--user", user});
  const Message reply = json(ctl(server, args));
  std::map<std::string, std::int64_t> out;
  for (const dom::element account : items(reply.root(), "accounts"))
    out[text(account, "account")] = integer(account, "balance");
  return out;
}

inline std::int64_t balance(const Auctiond& server, const std::string& account) {
  const auto all = balances(server);
  const auto found = all.find(account);
  return found == all.end() ? 0 : found->second;
}

// SPEC §6: every currency's accounts sum to zero (the world account mirrors what came in).
inline void check_sums_to_zero(const Auctiond& server) {
  const Message reply = json(ctl(server, {"balances", "--json"}));
  std::map<std::string, std::int64_t> sums;
  for (const dom::element account : items(reply.root(), "accounts"))
    sums[text(account, "currency")] += integer(account, "balance");
  for (const auto& [account_currency, sum] : sums) {
    const std::string& currency = account_currency;  // clang 14: a binding cannot be CAPTUREd
    CAPTURE(currency);
    CHECK(sum == 0);
  }
}

inline std::vector<std::string> credit_args(
    const std::string& user, const std::string& reference,
    const std::vector<std::string>& amount = {"--amount-minor", "10000"},
    const std::string& currency = "EUR") {
  std::vector<std::string> args = {"wallets", "credit",      user,     "--currency",
                                   currency,  "--reference", reference};
  args.insert(args.end(), amount.begin(), amount.end());
  return args;
}

// The order of `lot` once settlement has made it (it follows the durable journal), as JSON.
inline std::unique_ptr<Message> wait_for_order(const Auctiond& server, const std::string& lot,
                                               const std::string& state) {
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  Run run;
  do {
    run = ctl(server, {"orders", "show", lot, "--json"});
    if (run.exit_code == 0) {
      auto order = std::make_unique<Message>(std::optional<std::string>(run.out));
      if (order->str("state") == state) return order;
    }
    std::this_thread::sleep_for(200ms);
  } while (std::chrono::steady_clock::now() < deadline);
  FAIL_CHECK(("order " + lot + " never reached " + state + "\n" + describe(run)));
  return nullptr;
}

// A lot that closes within seconds: 3 s timed phase, 1 s extension, start 1000, increment 100.
inline void create_quick_lot(const Auctiond& server, const std::string& id) {
  ok(ctl(server, create_args(id, {{"--timed", "3s"}, {"--extension", "1s"}})));
}

// ---------------------------------------------------------------------------------------------
// Bidders over WebSocket.

inline std::unique_ptr<Message> ask_settlement(WsClient& client, const std::string& type,
                                               const std::string& order, const std::string& id,
                                               const std::string& extra = {}) {
  return answer_to(
      client,
      R"({"type":")" + type + R"(","order":")" + order + R"(","id":")" + id + "\"" + extra + "}",
      id);
}

// A lot `id` sold to `winner` (who bids 1200 after `other` bid 1100), closed.
inline void sell(const Auctiond& server, const std::string& id, WsClient& winner, WsClient& other) {
  create_quick_lot(server, id);
  const auto first = answer_to(other, bid_request(id, 1100, id + "-o"), id + "-o");
  REQUIRE_MESSAGE(first->str("type") == "accepted", first->text());
  const auto second = answer_to(winner, bid_request(id, 1200, id + "-w"), id + "-w");
  REQUIRE_MESSAGE(second->str("type") == "accepted", second->text());
  REQUIRE(wait_for_phase(server, id, "closed") == "closed");
}

// ---------------------------------------------------------------------------------------------
// The admin API over raw HTTP, for bodies auctionctl would never send.

struct HttpAnswer {
  unsigned status = 0;
  std::string body;
};

inline HttpAnswer admin_http(const Auctiond& server, const std::string& method,
                             const std::string& target, const std::string& body) {
  std::ifstream token_file(server.admin_token_file);
  std::string token;
  std::getline(token_file, token);
  const auto port = static_cast<unsigned short>(
      std::stoi(server.admin_url.substr(server.admin_url.rfind(':') + 1)));
  const auto [status, text] =
      http_request(port, method, target, body, {{"Authorization", "Bearer " + token}});
  return {static_cast<unsigned>(status), text};
}

// The error code of an error body.
inline std::string error_code(const HttpAnswer& answer) {
  const Message reply{std::optional<std::string>(answer.body)};
  std::string_view code;
  if (reply.root()["error"]["code"].get(code) != simdjson::SUCCESS) return "<none>";
  return std::string(code);
}

}  // namespace auction::testing
