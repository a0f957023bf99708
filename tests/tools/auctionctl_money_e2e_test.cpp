// auctionctl's money commands (docs/AUCTIONCTL.md, "Money and orders") end to end: the built
// binary against a real auctiond with escrow, bidders over WebSocket. Credits booked once,
// balances, orders through a whole sale (bid, close, pay, ship, confirm receipt, payout less the
// fee), the ledger check; every bad input refused with one line and nothing booked. The admin
// API's own strictness is checked over raw HTTP too. Disputes and refused order commands:
// auctionctl_orders_e2e_test.cpp.
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

#include "money_support.h"

using namespace auction::testing;
using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------------------

TEST_CASE("money: wallets credit books each reference once — balances as JSON and tables") {
  Auctiond server;
  std::vector<std::string> args = credit_args("alice", "bank-1", {"--amount", "123.45"});
  args.push_back("--json");
  const Message first = json(ctl(server, args));
  CHECK(first.str("user") == "alice");
  CHECK(first.str("currency") == "EUR");
  CHECK(first.num("amount") == 12345);  // major units → minor units, never rounded
  CHECK(first.str("reference") == "bank-1");
  CHECK(first.num("transfer_id") >= 1);
  CHECK(first.str("account") == "wallet/alice/EUR");
  CHECK(first.num("balance") == 12345);

  const Run second = ok(ctl(server, credit_args("alice", "bank-2", {"--amount-minor", "500"})));
  CHECK_MESSAGE(contains(second.out, "5.00 EUR"), describe(second));
  CHECK_MESSAGE(contains(second.out, "128.45 EUR"), describe(second));  // the wallet after it
  ok(ctl(server, credit_args("alice", "bank-3", {"--amount", "1000"}, "JPY")));  // no decimals
  ok(ctl(server, credit_args("alice", "bank-4", {"--amount", "1.5"}, "BHD")));   // three

  const auto alice = balances(server, "alice");
  CHECK(alice.size() == 3);
  CHECK(alice.at("wallet/alice/EUR") == 12845);
  CHECK(alice.at("wallet/alice/JPY") == 1000);
  CHECK(alice.at("wallet/alice/BHD") == 1500);
  const auto all = balances(server);
  CHECK(all.at("world/EUR") == -12845);  // the payment provider: minus all that came in
  CHECK(all.at("world/JPY") == -1000);
  check_sums_to_zero(server);

  {
    const Message reply = json(ctl(server, {"balances", "--user", "alice", "--json"}));
    const auto wallet = find_by(items(reply.root(), "accounts"), "account", "wallet/alice/EUR");
    REQUIRE(wallet.has_value());
    CHECK(text(*wallet, "kind") == "wallet");
    CHECK(text(*wallet, "currency") == "EUR");
    CHECK(text(*wallet, "user") == "alice");
    CHECK((*wallet)["lot"].is_null());
  }
  const Run table = ok(ctl(server, {"balances"}));
  CHECK_MESSAGE(has_line_with(table.out, {"ACCOUNT", "KIND", "BALANCE"}), describe(table));
  CHECK_MESSAGE(has_line_with(table.out, {"wallet/alice/EUR", "wallet", "128.45 EUR", "12845"}),
                describe(table));
  CHECK_MESSAGE(has_line_with(table.out, {"wallet/alice/JPY", "1000 JPY"}), describe(table));
  CHECK_MESSAGE(has_line_with(table.out, {"wallet/alice/BHD", "1.500 BHD"}), describe(table));
  CHECK_MESSAGE(has_line_with(table.out, {"world/EUR", "world", "-128.45 EUR"}), describe(table));

  // bob exists and has no money yet: an empty list, not an error.
  CHECK(balances(server, "bob").empty());
  const Run none = ok(ctl(server, {"balances", "--user", "bob"}));
  CHECK_MESSAGE(contains(none.out, "no accounts"), describe(none));
}

TEST_CASE(
    "money: a bad credit exits 2 (nothing sent) or 1 (refused), with one line, and books "
    "nothing") {
  Auctiond server;
  ok(ctl(server, credit_args("alice", "base-1", {"--amount-minor", "1000"})));
  const auto before = balances(server);

  struct Bad {
    std::vector<std::string> args;
    int exit_code;
    const char* says;  // a word the one line on stderr must hold
  };
  const std::string long_reference(65, 'r');
  const Bad bad[] = {
      {credit_args("alice", "r1", {"--amount-minor", "12.5"}), 2, "bad amount"},
      {credit_args("alice", "r1", {"--amount-minor", "1e4"}), 2, "bad amount"},
      {credit_args("alice", "r1", {"--amount-minor", "-1"}), 2, "bad amount"},
      {credit_args("alice", "r1", {"--amount-minor", "0"}), 2, "bad amount"},
      {credit_args("alice", "r1", {"--amount-minor", "1000000000000001"}), 2, "bad amount"},
      {credit_args("alice", "r1", {"--amount", "12.345"}), 2, "bad amount"},  // EUR: 2 decimals
      {credit_args("alice", "r1", {"--amount", "10.5"}, "JPY"), 2, "bad amount"},
      {credit_args("alice", "r1", {"--amount", "1e4"}), 2, "bad amount"},
      {credit_args("alice", "r1", {"--amount", "-1"}), 2, "bad amount"},
      {credit_args("alice", "r1", {"--amount", "10000000000000.01"}), 2, "bad amount"},
      {credit_args("alice", "r1", {"--amount", "5."}), 2, "bad amount"},
      {credit_args("alice", "r1", {}), 2, "--amount"},  // no amount
      {credit_args("alice", "r1", {"--amount", "1", "--amount-minor", "100"}), 2, "--amount"},
      {credit_args("alice", "r1", {"--amount-minor", "100"}, "eur"), 2, "bad currency"},
      {credit_args("alice", "r1", {"--amount-minor", "100"}, "EURO"), 2, "bad currency"},
      {credit_args("alice", "r1", {"--amount-minor", "100"}, "E1R"), 2, "bad currency"},
      {credit_args("alice", "has space"), 2, "bad reference"},
      {credit_args("alice", ""), 2, "bad reference"},
      {credit_args("alice", long_reference), 2, "bad reference"},
      {credit_args("alice", "r\xC3\xA9"), 2, "bad reference"},  // not ASCII
      {credit_args("bad id!", "r1"), 2, "bad id"},
      {credit_args("nobody", "r1"), 1, "unknown_user"},
      {credit_args("alice", "base-1"), 1, "duplicate_reference"},  // booked above
      {credit_args("bob", "base-1"), 1, "duplicate_reference"},    // for anyone
  };
  for (const Bad& b : bad) {
    const Run run = ctl(server, b.args);
    CAPTURE(run.command);
    check_error(run, b.exit_code);
    CHECK_MESSAGE(contains(run.err, b.says), describe(run));
    CHECK(balances(server) == before);
  }
  // The refusal names what was not done.
  const Run duplicate = ctl(server, credit_args("alice", "base-1"));
  CHECK_MESSAGE(contains(duplicate.err, "nothing was booked"), describe(duplicate));
  // The same credit with a fresh reference goes through: each refusal above was its fault's.
  ok(ctl(server, credit_args("alice", "r1")));
  CHECK(balance(server, "wallet/alice/EUR") == 11000);

  // Unknown users in filters: refused, not an empty answer that hides a typo.
  check_error(ctl(server, {"balances", "--user", "nobody"}), 1);
  check_error(ctl(server, {"orders", "list", "--user", "nobody"}), 1);
  check_error(ctl(server, {"balances", "--user", "bad id!"}), 2);
}

TEST_CASE(
    "money: the admin API refuses a credit's non-integer amount and malformed fields, "
    "booking nothing") {
  Auctiond server;
  ok(ctl(server, credit_args("alice", "base-1", {"--amount-minor", "1000"})));
  const auto before = balances(server);
  struct Case {
    std::string body;
    unsigned status;
    const char* code;
  };
  const auto body = [](const std::string& amount, const std::string& currency = "\"EUR\"",
                       const std::string& reference = "\"ref-x\"") {
    return R"({"currency":)" + currency + R"(,"amount":)" + amount + R"(,"reference":)" +
           reference + "}";
  };
  const Case cases[] = {
      {body("12.5"), 422, "invalid_amount"},
      {body("1e4"), 422, "invalid_amount"},
      {body("1.0"), 422, "invalid_amount"},
      {body("-1"), 422, "invalid_amount"},
      {body("0"), 422, "invalid_amount"},
      {body("\"100\""), 422, "invalid_amount"},
      {body("1000000000000001"), 422, "invalid_amount"},
      {body("100000000000000000000"), 422, "invalid_amount"},  // beyond 64 bits
      {body("100", "\"eur\""), 400, "invalid_input"},
      {body("100", "\"EUR\"", "\"a b\""), 400, "invalid_input"},
      {body("100", "\"EUR\"", "\"\""), 400, "invalid_input"},
      {body("100", "\"EUR\"", "7"), 400, "bad_request"},
      {R"({"currency":"EUR","amount":100})", 400, "bad_request"},  // no reference
      {R"({"currency":"EUR","amount":100,"reference":"r","memo":"x"})", 400, "bad_request"},
      {"not json", 400, "bad_request"},
      {body("100", "\"EUR\"", "\"base-1\""), 409, "duplicate_reference"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.body);
    const HttpAnswer answer = admin_http(server, "POST", "/v1/wallets/alice/credit", c.body);
    CHECK(answer.status == c.status);
    CHECK(error_code(answer) == c.code);
  }
  const HttpAnswer nobody = admin_http(server, "POST", "/v1/wallets/nobody/credit", body("100"));
  CHECK(nobody.status == 404);
  CHECK(error_code(nobody) == "unknown_user");
  CHECK(balances(server) == before);

  const HttpAnswer state = admin_http(server, "GET", "/v1/orders?state=lost", "");
  CHECK(state.status == 400);
  const HttpAnswer param = admin_http(server, "GET", "/v1/balances?usr=alice", "");
  CHECK(param.status == 400);
  const HttpAnswer method = admin_http(server, "GET", "/v1/wallets/alice/credit", "");
  CHECK(method.status == 405);
  const HttpAnswer ghost = admin_http(server, "GET", "/v1/orders/ghost", "");
  CHECK(ghost.status == 404);
  CHECK(error_code(ghost) == "unknown_order");
}

TEST_CASE("money: a whole sale, from bids to the seller's payable less the fee") {
  Auctiond server;
  auto alice = server.login("alice");
  auto bob = server.login("bob");
  ok(ctl(server, credit_args("alice", "alice-funds", {"--amount", "100.00"})));
  sell(server, "sale", *alice, *bob);  // alice wins at 1200

  const auto awaiting = wait_for_order(server, "sale", "awaiting_payment");
  REQUIRE(awaiting);
  CHECK(awaiting->str("order") == "sale");
  CHECK(awaiting->str("lot") == "sale");
  CHECK(awaiting->str("title") == "Lot sale");
  CHECK(awaiting->str("buyer") == "alice");
  CHECK(awaiting->str("seller") == "gallery");
  CHECK(awaiting->str("currency") == "EUR");
  CHECK(awaiting->num("price") == 1200);
  CHECK(awaiting->num("deposit_applied") == 0);
  CHECK(awaiting->num("paid") == 0);
  CHECK(awaiting->num("due") == 1200);
  CHECK(awaiting->num("escrow") == 0);
  CHECK(awaiting->num("fee") == 0);
  CHECK(awaiting->num("close_seq") > 0);
  CHECK(awaiting->num("closed_at_ms") > 0);
  CHECK(awaiting->num("payment_due_ms") > awaiting->num("closed_at_ms"));  // default 72 h
  CHECK(awaiting->has("payment_due"));  // auctionctl adds the ISO 8601 time beside each *_ms
  CHECK(awaiting->is_null("shipped_at_ms"));
  CHECK(awaiting->is_null("confirm_due_ms"));
  CHECK(awaiting->is_null("tracking"));
  CHECK(awaiting->is_null("dispute_reason"));

  {
    const Message listed = json(ctl(server, {"orders", "list", "--json"}));
    const auto order = find_by(items(listed.root(), "orders"), "order", "sale");
    REQUIRE(order.has_value());
    CHECK(text(*order, "state") == "awaiting_payment");
    const Message mine = json(ctl(server, {"orders", "list", "--user", "alice", "--json"}));
    CHECK(items(mine.root(), "orders").size() == 1);
    const Message sellers = json(ctl(server, {"orders", "list", "--user", "gallery", "--json"}));
    CHECK(items(sellers.root(), "orders").size() == 1);
    const Message none = json(ctl(server, {"orders", "list", "--user", "carol", "--json"}));
    CHECK(items(none.root(), "orders").empty());
    const Message paid = json(ctl(server, {"orders", "list", "--state", "paid", "--json"}));
    CHECK(items(paid.root(), "orders").empty());
  }
  const Run table = ok(ctl(server, {"orders", "list", "--state", "awaiting_payment"}));
  CHECK_MESSAGE(has_line_with(table.out, {"ORDER", "BUYER", "STATE", "PRICE", "DUE"}),
                describe(table));
  CHECK_MESSAGE(
      has_line_with(table.out, {"sale", "alice", "gallery", "awaiting_payment", "12.00 EUR"}),
      describe(table));
  const Run shown = ok(ctl(server, {"orders", "show", "sale"}));
  CHECK_MESSAGE(has_line_with(shown.out, {"state", "awaiting_payment"}), describe(shown));
  CHECK_MESSAGE(has_line_with(shown.out, {"due", "12.00 EUR"}), describe(shown));
  CHECK_MESSAGE(has_line_with(shown.out, {"payment due"}), describe(shown));

  // The buyer pays over WebSocket: the balance moves from the wallet into the order's escrow.
  const auto paid = ask_settlement(*alice, "pay", "sale", "p1");
  REQUIRE(paid);
  CHECK_MESSAGE(paid->str("type") == "order", paid->text());
  CHECK(paid->str("state") == "paid");
  CHECK(balance(server, "wallet/alice/EUR") == 10000 - 1200);
  CHECK(balance(server, "escrow/sale") == 1200);
  check_sums_to_zero(server);

  const Message shipped =
      json(ctl(server, {"orders", "ship", "sale", "--tracking", "TRACK-123", "--json"}));
  CHECK(shipped.str("state") == "shipped");
  CHECK(shipped.str("tracking") == "TRACK-123");
  CHECK(shipped.num("shipped_at_ms") > 0);
  CHECK(shipped.num("confirm_due_ms") > shipped.num("shipped_at_ms"));  // default 10 days
  check_error(ctl(server, {"orders", "ship", "sale", "--tracking", "AGAIN"}), 1);  // shipped

  const auto confirmed = ask_settlement(*alice, "confirm_receipt", "sale", "c1");
  REQUIRE(confirmed);
  CHECK_MESSAGE(confirmed->str("state") == "completed", confirmed->text());

  const Message done = json(ctl(server, {"orders", "show", "sale", "--json"}));
  CHECK(done.str("state") == "completed");
  CHECK(done.num("fee") == 60);  // 500 basis points of 1200
  CHECK(done.num("escrow") == 0);
  const auto gallery = balances(server, "gallery");
  CHECK(gallery.at("payable/gallery/EUR") == 1200 - 60);
  CHECK(balance(server, "fees/EUR") == 60);
  CHECK(balance(server, "escrow/sale") == 0);
  CHECK(balance(server, "wallet/alice/EUR") == 8800);
  check_sums_to_zero(server);
  const Run payable = ok(ctl(server, {"balances", "--user", "gallery"}));
  CHECK_MESSAGE(has_line_with(payable.out, {"payable/gallery/EUR", "payable", "11.40 EUR"}),
                describe(payable));

  const Message audit = json(ctl(server, {"ledger", "check", "--json"}));
  CHECK(audit.root()["ok"].get_bool().value() == true);
  CHECK(items(audit.root(), "problems").empty());
  CHECK(audit.num("orders") == 1);
  CHECK(audit.num("references") == 1);
  CHECK(audit.num("transfers") >= 4);  // credit, payment, payout, fee
  CHECK(audit.num("engine_cursor") > 0);
  CHECK(audit.str("digest").size() == 16);
  const Run check = ok(ctl(server, {"ledger", "check"}));
  CHECK_MESSAGE(has_line_with(check.out, {"ledger", "ok"}), describe(check));
  CHECK(check.err.empty());

  // Analysts export the same ledger and orders from the live server's data directory.
  const auto replay = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {AUCTION_REPLAY, "--data-dir", server.data_dir});
    return run_command(args);
  };
  const CommandResult transfers = replay({"export", "--table", "transfers", "--format", "jsonl"});
  REQUIRE_MESSAGE(transfers.exit_code == 0, transfers.err);
  CHECK(static_cast<std::int64_t>(std::count(transfers.out.begin(), transfers.out.end(), '\n')) ==
        audit.num("transfers"));
  CHECK(transfers.out.find("\"reference\":\"alice-funds\"") != std::string::npos);
  const CommandResult orders = replay({"export", "--table", "orders"});
  REQUIRE_MESSAGE(orders.exit_code == 0, orders.err);
  CHECK(orders.out.find("order,lot,title,buyer,seller,currency,state,price") == 0);
  CHECK(orders.out.find("sale,sale,Lot sale,alice,gallery,EUR,completed,1200,0,1200,1200,60,0,") !=
        std::string::npos);
  const CommandResult verified = replay({"verify"});
  CHECK_MESSAGE(verified.exit_code == 0, verified.err);
  const CommandResult checked = replay({"check"});
  CHECK_MESSAGE(checked.exit_code == 0, checked.err);
}
