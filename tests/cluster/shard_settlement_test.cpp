// Money in a replicated shard (SPEC §6, §11): credits through any node's webhook and admin API,
// a deposit held through a follower, the leader SIGKILLed, and afterwards every credit booked
// exactly once on every node, the ledgers equal, checked and equal to a replay.
#include <doctest/doctest.h>

#include "../gateway/settle_client.h"
#include "shard_fixture.h"

using namespace auction;
using namespace auction::testing;
using namespace std::chrono_literals;

namespace {

std::string notice(const std::string& user, std::int64_t amount, const std::string& reference) {
  return R"({"reference":")" + reference + R"(","user":")" + user +
         R"(","currency":"EUR","amount":)" + std::to_string(amount) + R"(,"timestamp_ms":)" +
         std::to_string(wall_ms()) + "}";
}

// A payment notice to `node`'s webhook, signed with that node's secret.
HttpReply webhook(const ShardNode& node, const std::string& body) {
  const std::string secret = read_first_line(node.data_dir() + "/webhook.secret");
  return http_request(node.port, "POST", "/webhooks/payment", body,
                      {{"X-Auction-Signature", signature(body, secret)}});
}

// `account`'s balance as `node` shows it (-1: not readable now).
std::int64_t balance(const ShardNode& node, const std::string& user, const std::string& account) {
  const auto [status, body] = node.admin("GET", "/v1/balances?user=" + user);
  return status == 200 ? balance_in(body, account) : -1;
}

// Waits until every running node shows `expected` for the account.
bool every_node_shows(const Shard& shard, const std::string& user, const std::string& account,
                      std::int64_t expected) {
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (std::chrono::steady_clock::now() < deadline) {
    bool all = true;
    for (const auto& node : shard.nodes)
      all = all && balance(*node, user, account) == expected;
    if (all) return true;
    std::this_thread::sleep_for(100ms);
  }
  for (const auto& node : shard.nodes)
    MESSAGE(node->name() << " shows " << balance(*node, user, account) << " in " << account);
  return false;
}

// Waits for a message of `type` on the bidder's connection.
std::optional<std::string> next_of(Bidder& bidder, const std::string& type) {
  while (auto message = bidder.ws->receive(10s)) {
    if (message->find(R"("type":")" + type + "\"") != std::string::npos) return message;
  }
  return std::nullopt;
}

// Read from a stopped node's data directory: the ledger's invariants hold and it equals a
// replay of its two journals. Returns the ledger's digest.
std::uint64_t checked_ledger(const std::string& data_dir) {
  std::unique_ptr<persistence::Journal> journal;
  REQUIRE(persistence::Journal::open({data_dir + "/journal", 0, true}, journal).is_ok());
  std::unique_ptr<persistence::SettlementStore> store;
  REQUIRE(persistence::SettlementStore::open(data_dir + "/settlement", true, store).is_ok());
  settlement::LedgerAudit audit;
  REQUIRE(store->audit(audit).is_ok());
  for (const std::string& problem : audit.problems)
    FAIL_CHECK(data_dir << ": " << problem);
  settlement::Settlement replayed;
  REQUIRE(persistence::replay_settlement(*journal, *store, EngineLimits{}, replayed).is_ok());
  CHECK(replayed.digest() == audit.digest);
  return audit.digest;
}

}  // namespace

TEST_SUITE("shard") {
  TEST_CASE("money in a shard: credits and a deposit survive the leader's death, booked once") {
    Shard shard;
    const int leader = shard.leader();
    REQUIRE(leader >= 0);
    const int follower = (leader + 1) % Shard::kNodes;
    const int other = (leader + 2) % Shard::kNodes;
    Bidder alice{"alice", create_user(*shard.nodes[leader], "alice"), nullptr};
    ensure_seller(*shard.nodes[follower]);
    const auto lot_reply = shard.nodes[follower]->admin(
        "POST", "/v1/lots",
        R"({"lots":[{"id":"dep","title":"Deposit lot","seller":"gallery","currency":"EUR",)"
        R"("start_price":10000,"increment":500,"deposit":1000,"starts_in_ms":0,)"
        R"("timed_ms":3600000,"extension_ms":60000}]})");
    REQUIRE_MESSAGE(lot_reply.status == 201, lot_reply.body);

    // A payment notice to a follower's webhook, the same notice again to the other follower.
    const std::string wire1 = notice("alice", 5'000, "wire-1");
    const auto booked = webhook(*shard.nodes[follower], wire1);
    CHECK_MESSAGE(booked.status == 200, booked.body);
    CHECK(booked.body.find("\"booked\":true") != std::string::npos);
    const auto twice = webhook(*shard.nodes[other], wire1);
    CHECK(twice.status == 409);
    CHECK_MESSAGE(twice.body.find("duplicate_reference") != std::string::npos, twice.body);
    // An operator's credit through the admin API of a follower.
    const auto credited =
        shard.nodes[other]->admin("POST", "/v1/wallets/alice/credit",
                                  R"({"currency":"EUR","amount":300,"reference":"desk-1"})");
    CHECK_MESSAGE(credited.status == 200, credited.body);
    CHECK(every_node_shows(shard, "alice", "wallet/alice/EUR", 5'300));

    // The deposit is held through a follower, and alice bids there.
    REQUIRE(alice.connect(*shard.nodes[follower]));
    alice.ws->send(R"({"type":"register","lot":"dep","id":"r1"})");
    const auto registered = next_of(alice, "registered");
    REQUIRE(registered);
    CHECK(Message(registered).num("deposit") == 1'000);
    const auto bid = alice.bid("dep", 10'000);
    REQUIRE(bid);
    CHECK(Message(bid).str("type") == "accepted");
    CHECK(every_node_shows(shard, "alice", "hold/alice/dep", 1'000));

    shard.nodes[leader]->kill_hard();
    const int next = shard.leader();
    REQUIRE(next >= 0);
    // Booked once across the failover: the same notice again, through the new leader's shard.
    const auto after = webhook(*shard.nodes[next], wire1);
    CHECK(after.status == 409);
    CHECK_MESSAGE(after.body.find("duplicate_reference") != std::string::npos, after.body);
    const auto again =
        shard.nodes[next]->admin("POST", "/v1/wallets/alice/credit",
                                 R"({"currency":"EUR","amount":300,"reference":"desk-1"})");
    CHECK(again.status != 200);
    CHECK_MESSAGE(again.body.find("duplicate_reference") != std::string::npos, again.body);
    const auto wire2 = webhook(*shard.nodes[next == follower ? other : follower],
                               notice("alice", 2'000, "wire-2"));
    CHECK_MESSAGE(wire2.body.find("\"booked\":true") != std::string::npos, wire2.body);

    shard.nodes[leader]->start();  // the old leader comes back as a follower and catches up
    CHECK(every_node_shows(shard, "alice", "wallet/alice/EUR", 5'300 - 1'000 + 2'000));
    CHECK(every_node_shows(shard, "alice", "hold/alice/dep", 1'000));
    for (const auto& node : shard.nodes) {
      const auto reply = node->admin("GET", "/v1/ledger/check");
      CHECK(reply.status == 200);
      CHECK_MESSAGE(reply.body.find("\"ok\":true") != std::string::npos, node->name()
                                                                             << ": " << reply.body);
    }
    CHECK(shard.settle_and_stop());
    const std::uint64_t digest = checked_ledger(shard.nodes[0]->data_dir());
    for (int i = 1; i < Shard::kNodes; ++i)
      CHECK(checked_ledger(shard.nodes[i]->data_dir()) == digest);
  }
}
