// auctionctl's order commands (docs/AUCTIONCTL.md, "Money and orders") end to end: orders ship
// and resolve refuse the wrong order or state, a dispute is resolved by a refund or a release
// once, and the money commands' --help.
#include <doctest/doctest.h>

#include <string>

#include "money_support.h"

using namespace auction::testing;
using namespace std::chrono_literals;

TEST_CASE("money: orders ship and resolve refuse the wrong order or state, changing nothing") {
  Auctiond server;
  auto alice = server.login("alice");
  auto bob = server.login("bob");
  sell(server, "unpaid", *alice, *bob);
  REQUIRE(wait_for_order(server, "unpaid", "awaiting_payment"));
  const auto before = balances(server);

  struct Bad {
    std::vector<std::string> args;
    int exit_code;
    const char* says;
  };
  const Bad bad[] = {
      {{"orders", "show", "ghost"}, 1, "unknown_order"},
      {{"orders", "ship", "ghost", "--tracking", "T1"}, 1, "unknown_order"},
      {{"orders", "resolve", "ghost", "--refund"}, 1, "unknown_order"},
      {{"orders", "ship", "unpaid", "--tracking", "T1"}, 1, "wrong_state"},
      {{"orders", "resolve", "unpaid", "--refund"}, 1, "wrong_state"},
      {{"orders", "resolve", "unpaid", "--release"}, 1, "wrong_state"},
      {{"orders", "ship", "unpaid"}, 2, "--tracking"},
      {{"orders", "ship", "unpaid", "--tracking", ""}, 2, "--tracking"},
      {{"orders", "ship", "unpaid", "--tracking", std::string(101, 't')}, 2, "--tracking"},
      {{"orders", "resolve", "unpaid"}, 2, "--refund"},
      {{"orders", "resolve", "unpaid", "--refund", "--release"}, 2, "--refund"},
      {{"orders", "list", "--state", "lost"}, 2, "--state"},
      {{"orders", "show", "bad!id"}, 2, "bad id"},
  };
  for (const Bad& b : bad) {
    const Run run = ctl(server, b.args);
    CAPTURE(run.command);
    check_error(run, b.exit_code);
    CHECK_MESSAGE(contains(run.err, b.says), describe(run));
  }
  const Message order = json(ctl(server, {"orders", "show", "unpaid", "--json"}));
  CHECK(order.str("state") == "awaiting_payment");
  CHECK(order.is_null("tracking"));
  CHECK(balances(server) == before);
  const Message audit = json(ctl(server, {"ledger", "check", "--json"}));
  CHECK(audit.root()["ok"].get_bool().value() == true);
}

TEST_CASE("money: a disputed order is resolved by a refund or a release, once") {
  Auctiond server;
  auto alice = server.login("alice");
  auto bob = server.login("bob");
  ok(ctl(server, credit_args("alice", "alice-funds", {"--amount", "50.00"})));
  sell(server, "vase2", *alice, *bob);
  sell(server, "bowl2", *alice, *bob);
  for (const char* lot : {"vase2", "bowl2"}) {
    CAPTURE(lot);
    REQUIRE(wait_for_order(server, lot, "awaiting_payment"));
    const auto paid = ask_settlement(*alice, "pay", lot, std::string("p-") + lot);
    REQUIRE(paid);
    REQUIRE_MESSAGE(paid->str("state") == "paid", paid->text());
    const auto disputed = ask_settlement(*alice, "dispute", lot, std::string("d-") + lot,
                                         R"(,"reason":"arrived broken")");
    REQUIRE(disputed);
    REQUIRE_MESSAGE(disputed->str("state") == "disputed", disputed->text());
  }
  CHECK(balance(server, "wallet/alice/EUR") == 5000 - 2400);
  const Message listed = json(ctl(server, {"orders", "list", "--state", "disputed", "--json"}));
  CHECK(items(listed.root(), "orders").size() == 2);
  CHECK(json(ctl(server, {"orders", "show", "vase2", "--json"})).str("dispute_reason") ==
        "arrived broken");

  const Message refunded = json(ctl(server, {"orders", "resolve", "vase2", "--refund", "--json"}));
  CHECK(refunded.str("state") == "refunded");
  CHECK(refunded.num("escrow") == 0);
  CHECK(balance(server, "wallet/alice/EUR") == 5000 - 1200);  // vase2's price came back
  CHECK(balance(server, "escrow/vase2") == 0);

  const Run released = ok(ctl(server, {"orders", "resolve", "bowl2", "--release"}));
  CHECK_MESSAGE(contains(released.out, "gallery"), describe(released));
  const Message bowl = json(ctl(server, {"orders", "show", "bowl2", "--json"}));
  CHECK(bowl.str("state") == "completed");
  CHECK(bowl.num("fee") == 60);
  CHECK(balance(server, "payable/gallery/EUR") == 1140);

  // Resolved once: a second resolution is refused and moves nothing.
  const auto after = balances(server);
  check_error(ctl(server, {"orders", "resolve", "vase2", "--release"}), 1);
  check_error(ctl(server, {"orders", "resolve", "bowl2", "--refund"}), 1);
  CHECK(balances(server) == after);
  check_sums_to_zero(server);
  CHECK(json(ctl(server, {"ledger", "check", "--json"})).root()["ok"].get_bool().value() == true);
}

TEST_CASE("money: --help on the money commands") {
  const Run program = ok(run_ctl({"--help"}));
  for (const char* command : {"wallets", "balances", "orders", "ledger"}) {
    CHECK_MESSAGE(contains(program.out, command), describe(program));
  }
  const Run credit = ok(run_ctl({"wallets", "credit", "--help"}));
  for (const char* flag : {"--currency", "--amount", "--amount-minor", "--reference"}) {
    CHECK_MESSAGE(contains(credit.out, flag), describe(credit));
  }
  const Run orders = ok(run_ctl({"orders", "--help"}));
  for (const char* command : {"list", "show", "ship", "resolve"}) {
    CHECK_MESSAGE(contains(orders.out, command), describe(orders));
  }
  const Run resolve = ok(run_ctl({"orders", "resolve", "--help"}));
  CHECK_MESSAGE(contains(resolve.out, "--refund"), describe(resolve));
  CHECK_MESSAGE(contains(resolve.out, "--release"), describe(resolve));
  ok(run_ctl({"ledger", "check", "--help"}));
  ok(run_ctl({"balances", "--help"}));
}
