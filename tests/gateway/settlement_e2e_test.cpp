// Escrow and settlement against the built auctiond over real sockets: the payment webhook (and
// every bad notice), deposits over WebSocket, a whole sale to completion, and a SIGKILL loop
// after which the ledger equals a from-scratch replay of the journals.
#include <doctest/doctest.h>
#include <openssl/hmac.h>
#include <simdjson.h>

#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "../persistence/temp_dir.h"
#include "../support/subprocess.h"
#include "../support/ws_client.h"
#include "auction/persistence/journal.h"
#include "auction/persistence/settler.h"
#include "auctiond_fixture.h"
#include "settle_client.h"

namespace auction::testing {
namespace {

using namespace std::chrono_literals;

// The next message of `type` (others, such as pushes, are skipped).
std::optional<std::string> next_of(WsClient& client, std::string_view type,
                                   std::chrono::milliseconds timeout = 5s) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    auto text = client.receive(std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now()));
    if (!text) return std::nullopt;
    if (text->find("\"type\":\"" + std::string(type) + "\"") != std::string::npos) return text;
  }
  return std::nullopt;
}

TEST_CASE("payment webhook: a signed notice is booked once — every bad notice books nothing") {
  Auctiond server;
  Settle settle(server);
  const std::string wallet = "wallet/alice/EUR";
  const auto ok = settle.webhook(settle.notice("alice", 5'000, "pay-1"));
  CHECK_MESSAGE(ok.status == 200, ok.body);
  CHECK(ok.body.find("\"booked\":true") != std::string::npos);
  CHECK(settle.balance("alice", wallet) == 5'000);

  struct Bad {
    const char* what;
    std::string body;
    std::string sig;
    int status;
    const char* code;
  };
  const std::string good = settle.notice("alice", 700, "pay-2");
  const Bad bad[] = {
      {"wrong signature", good, signature(good, "not-the-secret"), 401, "bad_signature"},
      {"no signature", good, "none", 401, "bad_signature"},
      {"body changed after signing", settle.notice("alice", 70'000, "pay-2"), signature(good, "x"),
       401, "bad_signature"},
      {"stale timestamp", settle.notice("alice", 700, "pay-3", wall_ms() - 3'600'000), "", 400,
       "stale_timestamp"},
      {"replayed reference", settle.notice("alice", 5'000, "pay-1"), "", 409,
       "duplicate_reference"},
      {"unknown user", settle.notice("mallory", 700, "pay-4"), "", 404, "unknown_user"},
      {"not JSON", "{reference:", "", 400, "bad_request"},
      {"missing amount",
       R"({"reference":"pay-5","user":"alice","currency":"EUR","timestamp_ms":)" +
           std::to_string(wall_ms()) + "}",
       "", 400, "bad_request"},
      {"fractional amount",
       R"({"reference":"pay-6","user":"alice","currency":"EUR","amount":12.5,"timestamp_ms":)" +
           std::to_string(wall_ms()) + "}",
       "", 400, "invalid_amount"},
      {"amount as a string",
       R"({"reference":"pay-7","user":"alice","currency":"EUR","amount":"700","timestamp_ms":)" +
           std::to_string(wall_ms()) + "}",
       "", 400, "invalid_amount"},
      {"amount out of range", settle.notice("alice", 1'000'000'000'000'001, "pay-8"), "", 400,
       "invalid_amount"},
      {"amount named twice",
       R"({"reference":"pay-9","user":"alice","currency":"EUR","amount":700,"amount":70000,)"
       R"("timestamp_ms":)" +
           std::to_string(wall_ms()) + "}",
       "", 400, "bad_request"},
      {"an extra field that is not JSON",
       R"({"reference":"pay-10","user":"alice","currency":"EUR","amount":700,"note":tru,)"
       R"("timestamp_ms":)" +
           std::to_string(wall_ms()) + "}",
       "", 400, "bad_request"},
      {"a second object after the notice",
       settle.notice("alice", 700, "pay-11") + settle.notice("alice", 700, "pay-12"), "", 400,
       "bad_request"},
  };
  for (const Bad& b : bad) {
    INFO(b.what);
    const auto [status, body] = settle.webhook(b.body, b.sig);
    CHECK(status == b.status);
    CHECK(body.find(std::string("\"code\":\"") + b.code + "\"") != std::string::npos);
    CHECK(settle.balance("alice", wallet) == 5'000);  // nothing booked
  }
  const auto [status, body] = settle.admin("GET", "/v1/ledger/check");
  CHECK(status == 200);
  CHECK(body.find("\"ok\":true") != std::string::npos);
}

TEST_CASE("admin API: a field named twice is bad_request and nothing is created") {
  Auctiond server;
  Settle settle(server);
  const auto [status, body] =
      settle.admin("POST", "/v1/lots",
                   R"({"lots":[{"id":"twice","title":"Twice","seller":"gallery",)"
                   R"("currency":"EUR","start_price":10000,"start_price":1,"increment":500,)"
                   R"("starts_in_ms":0,"timed_ms":60000,"extension_ms":60000}]})");
  CHECK(status == 400);
  CHECK(body.find("\"code\":\"bad_request\"") != std::string::npos);
  CHECK(body.find("named twice") != std::string::npos);
  CHECK(settle.admin("GET", "/v1/lots/twice").status == 404);
}

TEST_CASE("deposit, sale, payment, shipping and receipt over WebSocket — the seller is paid") {
  Auctiond server;
  Settle settle(server);
  settle.create_lot("dep", 1'000, 1'500, 1'500);
  auto alice = server.login("alice");
  auto bob = server.login("bob");

  alice->send(R"({"type":"register","lot":"dep","id":"r1"})");
  Message poor(next_of(*alice, "error"));
  CHECK(poor.str("code") == "insufficient_funds");
  CHECK(poor.str("id") == "r1");

  REQUIRE(settle.webhook(settle.notice("alice", 50'000, "bank-1")).status == 200);
  alice->send(R"({"type":"register","lot":"dep","id":"r2"})");
  Message registered(next_of(*alice, "registered"));
  CHECK(registered.num("deposit") == 1'000);
  CHECK(settle.balance("alice", "wallet/alice/EUR") == 49'000);
  CHECK(settle.balance("alice", "hold/alice/dep") == 1'000);

  bob->send(R"({"type":"bid","lot":"dep","amount":10000})");
  Message refused(next_of(*bob, "rejected"));
  CHECK(refused.str("code") == "not_qualified");
  alice->send(R"({"type":"bid","lot":"dep","amount":10000})");
  Message accepted(next_of(*alice, "accepted"));
  CHECK(accepted.num("amount") == 10'000);

  // The close creates the order and tells the buyer.
  Message created(next_of(*alice, "order", 10s));
  CHECK(created.str("order") == "dep");
  CHECK(created.str("state") == "awaiting_payment");
  CHECK(created.num("due") == 9'000);

  alice->send(R"({"type":"orders","id":"o"})");
  Message listed(next_of(*alice, "orders"));
  CHECK(listed.text().find("\"order\":\"dep\"") != std::string::npos);

  bob->send(R"({"type":"pay","order":"dep","id":"p0"})");
  Message not_buyer(next_of(*bob, "error"));
  CHECK(not_buyer.str("code") == "not_buyer");
  alice->send(R"({"type":"pay","order":"dep","id":"p1"})");
  Message paid(next_of(*alice, "order"));
  // The push of the same update may come first; either way the state is paid.
  CHECK(paid.str("state") == "paid");
  CHECK(settle.balance("alice", "wallet/alice/EUR") == 40'000);

  const auto shipped = settle.admin("POST", "/v1/orders/dep/ship", R"({"tracking":"DHL-1"})");
  CHECK_MESSAGE(shipped.status == 200, shipped.body);
  alice->send(R"({"type":"confirm_receipt","order":"dep","id":"c1"})");
  bool completed = false;
  for (int i = 0; i < 4 && !completed; ++i) {
    const auto text = next_of(*alice, "order");
    completed = text && text->find("\"state\":\"completed\"") != std::string::npos;
  }
  CHECK(completed);
  CHECK(settle.balance("gallery", "payable/gallery/EUR") == 9'500);  // 10,000 less 5 %
  const auto reply = settle.admin("GET", "/v1/ledger/check");
  CHECK(reply.status == 200);
  CHECK_MESSAGE(reply.body.find("\"ok\":true") != std::string::npos, reply.body);
  CHECK(server.stop() == 0);
}

TEST_CASE("settlement crash loop: SIGKILL while settling — the ledger equals a replay") {
  TempDir dir;
  const std::string data = dir.path();
  std::mt19937 rng(20261122);
  std::set<std::string> acknowledged;
  int references = 0;
  constexpr int kCycles = 8;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    INFO("cycle " << cycle);
    Auctiond server({}, &data);
    Settle settle(server);
    // A lot with deposits that closes while the next credits arrive.
    const std::string lot = "crash" + std::to_string(cycle);
    settle.create_lot(lot, 500, 300, 300);
    auto alice = server.login("alice");
    REQUIRE(settle.webhook(settle.notice("alice", 2'000, "seed-" + std::to_string(cycle))).status ==
            200);
    acknowledged.insert("seed-" + std::to_string(cycle));
    alice->send(R"({"type":"register","lot":")" + lot + R"("})");
    alice->send(R"({"type":"bid","lot":")" + lot + R"(","amount":10000})");
    // Credits until a random moment, then SIGKILL in the middle of them.
    std::atomic<bool> stop{false};
    std::thread credits([&] {
      references += credit_until(settle, "bob", "c-" + std::to_string(cycle), stop, acknowledged);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(200 + rng() % 600));
    server.kill_hard();
    stop.store(true);
    credits.join();
    CHECK(check_ledger_after_crash(data, acknowledged) == 0);
  }
  MESSAGE(kCycles << " SIGKILL cycles, " << acknowledged.size() << " acknowledged credits, "
                  << references << " sent");
}

}  // namespace
}  // namespace auction::testing
