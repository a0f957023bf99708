// Maximum bids and increment tables over the real auctiond (SPEC §4.1, §4.2, §7): a lot made
// with a table through the admin API, a duel of maxima between two bidders, the answers'
// `leading` and `price`, events marked `auto`, and a maximum seen by its owner only.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>

#include "settle_client.h"

using namespace auction;
using namespace auction::testing;
using namespace std::chrono_literals;

namespace {

// Every message until `type` arrives (kept, for privacy checks), and that one.
std::optional<std::string> until_type(WsClient& client, std::string_view type,
                                      std::vector<std::string>& seen) {
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < until) {
    auto text = client.receive(1s);
    if (!text) continue;
    seen.push_back(*text);
    if (text->find("\"type\":\"" + std::string(type) + "\"") != std::string::npos) return text;
  }
  return std::nullopt;
}

// Whether a JSON field of `text` holds exactly `amount` (not a timestamp that contains its digits).
bool has_amount(const std::string& text, std::int64_t amount) {
  const std::string needle = ":" + std::to_string(amount);
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    const auto end = at + needle.size();
    if (end == text.size() || !std::isdigit(static_cast<unsigned char>(text[end]))) return true;
  }
  return false;
}

// Drains what is waiting on the connection into `seen`.
void drain(WsClient& client, std::vector<std::string>& seen) {
  while (auto text = client.receive(300ms))
    seen.push_back(*text);
}

}  // namespace

TEST_CASE("maximum bids over WebSocket: a duel, the answers, and a maximum nobody else sees") {
  Auctiond server;
  Settle settle(server);
  const auto reply = settle.admin(
      "POST", "/v1/lots",
      R"({"lots":[{"id":"proxy","title":"Proxy lot","seller":"gallery","currency":"EUR",)"
      R"("start_price":1000,"increments":[[0,100],[2000,250]],"starts_in_ms":0,)"
      R"("timed_ms":600000,"extension_ms":60000}]})");
  REQUIRE_MESSAGE(reply.status == 201, reply.body);
  auto alice = server.login("alice");
  auto bob = server.login("bob");
  auto watcher = server.login("carol");
  std::vector<std::string> alice_saw, bob_saw, watcher_saw;

  watcher->send(R"({"type":"subscribe","lot":"proxy"})");
  Message snapshot(until_type(*watcher, "snapshot", watcher_saw));
  CHECK(snapshot.text().find(R"("increments":[[0,100],[2000,250]])") != std::string::npos);
  CHECK(snapshot.text().find(R"("max_bids":true)") != std::string::npos);
  CHECK(snapshot.is_null("your_max"));
  CHECK(snapshot.num("increment") == 100);

  alice->send(R"({"type":"max_bid","lot":"proxy","max":2600,"id":"m1"})");
  Message first(until_type(*alice, "accepted", alice_saw));
  CHECK(first.str("id") == "m1");
  CHECK(first.num("max") == 2600);
  CHECK(first.num("price") == 1000);  // the first maximum bids the start price
  CHECK(first.text().find(R"("leading":true)") != std::string::npos);

  // A plain bid under alice's maximum: accepted, not leading; the price is one rung above it.
  bob->send(R"({"type":"bid","lot":"proxy","amount":1500,"id":"b1"})");
  Message plain(until_type(*bob, "accepted", bob_saw));
  CHECK(plain.num("amount") == 1500);
  CHECK(plain.text().find(R"("leading":false)") != std::string::npos);
  CHECK(plain.num("price") == 1600);
  CHECK(plain.num("min_next") == 1700);

  // bob's maximum reaches 2500 (rungs of 100 to 2000, then 250); alice's reaches 2500 too:
  // equal reach, the earlier maximum keeps the lead at 2500.
  bob->send(R"({"type":"max_bid","lot":"proxy","max":2700,"id":"m2"})");
  Message tie(until_type(*bob, "accepted", bob_saw));
  CHECK(tie.num("max") == 2700);
  CHECK(tie.text().find(R"("leading":false)") != std::string::npos);
  CHECK(tie.num("price") == 2500);

  // alice raises her maximum: the price does not move.
  alice->send(R"({"type":"max_bid","lot":"proxy","max":9000,"id":"m3"})");
  Message raised(until_type(*alice, "accepted", alice_saw));
  CHECK(raised.text().find(R"("leading":true)") != std::string::npos);
  CHECK(raised.num("price") == 2500);
  alice->send(R"({"type":"max_bid","lot":"proxy","max":9000,"id":"m4"})");
  Message same(until_type(*alice, "rejected", alice_saw));
  CHECK(same.str("code") == "not_above_own_max");
  CHECK(same.num("max") == 9000);
  bob->send(R"({"type":"max_bid","lot":"proxy","max":2550,"id":"m5"})");
  Message low(until_type(*bob, "rejected", bob_saw));
  CHECK(low.str("code") == "below_minimum");
  CHECK(low.num("min_next") == 2750);

  // Her own snapshot shows her maximum; bob's and the watcher's do not.
  alice->send(R"({"type":"subscribe","lot":"proxy"})");
  Message mine(until_type(*alice, "snapshot", alice_saw));
  CHECK(mine.num("your_max") == 9000);
  bob->send(R"({"type":"subscribe","lot":"proxy"})");
  Message theirs(until_type(*bob, "snapshot", bob_saw));
  CHECK(theirs.is_null("your_max"));
  CHECK(theirs.text().find(R"("auto":true)") != std::string::npos);  // recent bids marked

  drain(*watcher, watcher_saw);
  drain(*bob, bob_saw);
  std::size_t auto_events = 0;
  for (const std::string& text : watcher_saw) {
    auto_events += text.find(R"("type":"bid")") != std::string::npos &&
                   text.find(R"("auto":true)") != std::string::npos;
  }
  CHECK(auto_events >= 3);
  // No frame to anyone but alice carries her maximum, and none to alice carries bob's.
  for (const auto* frames : {&watcher_saw, &bob_saw}) {
    for (const std::string& text : *frames) {
      CHECK_MESSAGE(!has_amount(text, 9000), text);
      CHECK_MESSAGE(!has_amount(text, 2600), text);
    }
  }
  for (const std::string& text : watcher_saw)
    CHECK_MESSAGE(!has_amount(text, 2700), text);
  for (const std::string& text : alice_saw)
    CHECK_MESSAGE(!has_amount(text, 2700), text);
  // The check can fail: alice's own frames do carry her maximum.
  CHECK(std::any_of(alice_saw.begin(), alice_saw.end(),
                    [](const std::string& text) { return has_amount(text, 9000); }));
  CHECK(server.stop() == 0);
}

TEST_CASE("lots with bad increment tables are refused with the field named, nothing created") {
  Auctiond server;
  Settle settle(server);
  const auto create = [&](const std::string& increments) {
    return settle.admin("POST", "/v1/lots",
                        R"({"lots":[{"id":"t","title":"T","seller":"gallery","currency":"EUR",)"
                        R"("start_price":1000,"increments":)" +
                            increments +
                            R"(,"starts_in_ms":0,"timed_ms":60000,"extension_ms":0}]})");
  };
  for (const char* bad :
       {"[[1,100]]", "[[0,100],[500,10],[500,20]]", "[[0,0]]", "[[0,100],[500,10.5]]",
        "[[0,100],[\"500\",10]]", "[]", "{}", "[[0,100,3]]"}) {
    CAPTURE(bad);
    const auto reply = create(bad);
    CHECK(reply.status == 422);
    CHECK_MESSAGE(reply.body.find("\"field\":\"increments\"") != std::string::npos, reply.body);
  }
  std::string too_many = "[[0,1]";
  for (int i = 1; i <= 32; ++i)
    too_many += ",[" + std::to_string(i * 100) + ",1]";
  too_many += "]";
  CHECK(create(too_many).status == 422);
  const auto listed = settle.admin("GET", "/v1/lots/t");
  CHECK(listed.status == 404);
  // max_bids false: a maximum bid is refused with its code.
  const auto reply =
      settle.admin("POST", "/v1/lots",
                   R"({"lots":[{"id":"nomax","title":"N","seller":"gallery","currency":"EUR",)"
                   R"("start_price":1000,"increment":100,"max_bids":false,"starts_in_ms":0,)"
                   R"("timed_ms":60000,"extension_ms":0}]})");
  REQUIRE_MESSAGE(reply.status == 201, reply.body);
  auto alice = server.login("alice");
  alice->send(R"({"type":"max_bid","lot":"nomax","max":5000})");
  std::vector<std::string> seen;
  Message refused(until_type(*alice, "rejected", seen));
  CHECK(refused.str("code") == "max_bid_not_allowed");
  CHECK(server.stop() == 0);
}
