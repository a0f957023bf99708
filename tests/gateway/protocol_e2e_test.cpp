// The bidder protocol (SPEC §7) over a real socket against the built auctiond: every message
// type, every error code, the limits, masking, and a clean shutdown. The demo catalogue gives an
// open lot ("lamp": start 10000, increment 500) and a scheduled one ("vase").
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "auctiond_fixture.h"
#include "raw_socket.h"

using namespace auction::testing;
using namespace std::chrono_literals;

namespace {

Message ask(WsClient& client, const std::string& request) {
  client.send(request);
  return Message(client.receive(5s));
}

}  // namespace

TEST_CASE("ping: pong with the server time, and the request id echoed") {
  Auctiond server;
  auto c = server.client();
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const Message pong = ask(*c, R"({"type":"ping","id":"p-1"})");
  CHECK(pong.str("type") == "pong");
  CHECK(pong.str("id") == "p-1");
  CHECK(pong.num("ts") >= before);
}

TEST_CASE("login: ok with the right token — auth_failed and invalid_id otherwise") {
  Auctiond server;
  auto c = server.client();
  Message wrong = ask(*c, R"({"type":"login","user":"alice","token":"nope","id":"a"})");
  CHECK(wrong.str("type") == "error");
  CHECK(wrong.str("code") == "auth_failed");
  CHECK(wrong.str("id") == "a");
  Message bad_id = ask(*c, R"({"type":"login","user":"al ice","token":"x"})");
  CHECK(bad_id.str("code") == "invalid_id");
  Message ok =
      ask(*c, R"({"type":"login","user":"alice","token":")" + server.tokens["alice"] + R"("})");
  CHECK(ok.str("type") == "login_ok");
  CHECK(ok.str("user") == "alice");
}

TEST_CASE("lots and subscribe: the catalogue and a snapshot with the SPEC's fields") {
  Auctiond server;
  auto c = server.client();
  const Message lots = ask(*c, R"({"type":"lots"})");
  CHECK(lots.str("type") == "lots");
  simdjson::dom::array array;
  REQUIRE(lots.root()["lots"].get(array) == simdjson::SUCCESS);
  CHECK(array.size() == 4);
  const Message snapshot = ask(*c, R"({"type":"subscribe","lot":"lamp","id":"s"})");
  CHECK(snapshot.str("type") == "snapshot");
  CHECK(snapshot.str("id") == "s");
  CHECK(snapshot.str("lot") == "lamp");
  CHECK(snapshot.str("title") == "Art deco table lamp");
  CHECK(snapshot.str("currency") == "EUR");
  CHECK(snapshot.str("phase") == "timed");
  CHECK(snapshot.num("start_price") == 10000);
  CHECK(snapshot.num("increment") == 500);
  CHECK(snapshot.is_null("price"));
  CHECK(snapshot.is_null("leader"));
  CHECK(snapshot.num("min_next") == 10000);
  CHECK(snapshot.num("deadline_ms") > 0);
  CHECK(snapshot.has("reserve_met"));
  CHECK_FALSE(snapshot.has("reserve"));  // the reserve amount is not disclosed
  CHECK(snapshot.num("deposit") == 0);
  CHECK(snapshot.num("bids") == 0);
  CHECK(snapshot.num("seq") > 0);
  const Message unknown = ask(*c, R"({"type":"subscribe","lot":"ghost"})");
  CHECK(unknown.str("code") == "unknown_lot");
  const Message gone = ask(*c, R"({"type":"unsubscribe","lot":"lamp"})");
  CHECK(gone.str("type") == "unsubscribed");
}

TEST_CASE("bids: accepted after durability, and each reject code with min_next") {
  Auctiond server;
  auto alice = server.login("alice");
  auto bob = server.login("bob");
  const Message first = ask(*alice, R"({"type":"bid","lot":"lamp","amount":10000,"id":"b1"})");
  CHECK(first.str("type") == "accepted");
  CHECK(first.str("id") == "b1");
  CHECK(first.num("amount") == 10000);
  CHECK(first.num("seq") > 0);
  CHECK(first.num("deadline_ms") > 0);
  const Message leading = ask(*alice, R"({"type":"bid","lot":"lamp","amount":10500})");
  CHECK(leading.str("code") == "already_leading");
  const Message low = ask(*bob, R"({"type":"bid","lot":"lamp","amount":10000})");
  CHECK(low.str("type") == "rejected");
  CHECK(low.str("code") == "below_minimum");
  CHECK(low.num("min_next") == 10500);
  CHECK(ask(*bob, R"({"type":"bid","lot":"lamp","amount":10700})").str("code") ==
        "not_increment_multiple");
  CHECK(ask(*bob, R"({"type":"bid","lot":"vase","amount":5000})").str("code") == "lot_not_open");
  CHECK(ask(*bob, R"({"type":"bid","lot":"ghost","amount":5000})").str("code") == "unknown_lot");
  CHECK(ask(*bob, R"({"type":"bid","lot":"lamp","amount":11000})").str("type") == "accepted");
}

TEST_CASE("accepted carries leading and price, and a snapshot the recent bids newest last") {
  Auctiond server;
  auto alice = server.login("alice");
  auto bob = server.login("bob");
  // lamp: start 10000, reserve 15000 (above the start: not met before any bid).
  const Message before = ask(*alice, R"({"type":"subscribe","lot":"lamp"})");
  CHECK_FALSE(before.root()["reserve_met"].get_bool().value());
  CHECK(before.root()["recent"].get_array().size() == 0);
  CHECK(ask(*alice, R"({"type":"unsubscribe","lot":"lamp"})").str("type") == "unsubscribed");
  const Message first = ask(*alice, R"({"type":"bid","lot":"lamp","amount":10000})");
  CHECK(first.root()["leading"].get_bool().value());
  CHECK(first.num("price") == 10000);
  const Message second = ask(*bob, R"({"type":"bid","lot":"lamp","amount":10500})");
  CHECK(second.num("price") == 10500);
  const Message snapshot = ask(*alice, R"({"type":"subscribe","lot":"lamp"})");
  simdjson::dom::array recent;
  REQUIRE(snapshot.root()["recent"].get(recent) == simdjson::SUCCESS);
  REQUIRE(recent.size() == 2);
  CHECK(recent.at(0)["amount"].get_int64().value() == 10000);
  CHECK(recent.at(0)["bidder"].get_string().value() == "alice");  // her own name
  CHECK(recent.at(1)["amount"].get_int64().value() == 10500);
  CHECK(recent.at(1)["bidder"].get_string().value() == "b***b");  // others' masked
  CHECK(recent.at(1)["at_ms"].get_int64().value() >= recent.at(0)["at_ms"].get_int64().value());
  CHECK_FALSE(recent.at(1)["auto"].get_bool().value());
  // The bid event carries the same server time as the snapshot's history.
  auto watcher = server.login("carol");
  ask(*watcher, R"({"type":"subscribe","lot":"lamp"})");
  const Message third = ask(*alice, R"({"type":"bid","lot":"lamp","amount":11000})");
  std::optional<std::string> event;
  while ((event = watcher->receive(5s)) && event->find(R"("type":"bid")") == std::string::npos) {
  }
  const Message bid_event(event);
  CHECK(bid_event.num("at_ms") >= recent.at(1)["at_ms"].get_int64().value());
  CHECK(bid_event.num("seq") == third.num("seq"));
  // A lot whose reserve is its start price: met before the first bid.
  auto fresh = server.client();
  CHECK(
      ask(*fresh, R"({"type":"subscribe","lot":"vase"})").root()["reserve_met"].get_bool().value());
}

TEST_CASE("amounts that are not plain integers in range are invalid_amount, never rounded") {
  Auctiond server;
  auto bob = server.login("bob");
  for (const char* amount :
       {"10500.0", "1.05e4", "-10500", "\"10500\"", "1000000000000001", "0", "null", "true"}) {
    CAPTURE(amount);
    const Message answer =
        ask(*bob, std::string(R"({"type":"bid","lot":"lamp","amount":)") + amount + "}");
    CHECK(answer.str("type") == "rejected");
    CHECK(answer.str("code") == "invalid_amount");
  }
  CHECK(ask(*bob, R"({"type":"bid","lot":"lamp","amount":10000})").str("type") == "accepted");
}

TEST_CASE("a bid with anything not JSON in it, or a field twice, is refused and not applied") {
  Auctiond server;
  auto bob = server.login("bob");
  for (const char* text : {
           R"({"type":"bid","lot":"lamp","amount":10000,"note":tru})",
           R"({"type":"bid","lot":"lamp","amount":10000,"note":[1,01]})",
           R"({"type":"bid","lot":"lamp","amount":010000})",
           R"({"type":"bid","lot":"lamp","amount":10000} {"type":"ping"})",
           R"({"type":"bid","lot":"lamp","amount":10500,"amount":10000})",
       }) {
    CAPTURE(text);
    const Message answer = ask(*bob, text);
    CHECK(answer.str("type") == "error");
    CHECK(answer.str("code") == "bad_request");
  }
  // None was applied: the start price is still the lowest admissible bid.
  auto watcher = server.client();
  const Message snapshot = ask(*watcher, R"({"type":"subscribe","lot":"lamp"})");
  CHECK(snapshot.num("bids") == 0);
  CHECK(snapshot.num("min_next") == 10000);
  CHECK(ask(*bob, R"({"type":"bid","lot":"lamp","amount":10000})").str("type") == "accepted");
}

TEST_CASE("an invalid amount comes back in an answer any JSON reader takes") {
  Auctiond server;
  auto bob = server.login("bob");
  for (const char* amount : {R"({"a":1})", "[1,2]", "1E400", "99999999999999999999999",
                             R"("a very long string that would be cut short if echoed")"}) {
    CAPTURE(amount);
    // Message parses strictly (simdjson's DOM): a cut or unreadable echo fails here.
    const Message answer =
        ask(*bob, std::string(R"({"type":"bid","lot":"lamp","amount":)") + amount + "}");
    CHECK(answer.str("code") == "invalid_amount");
    CHECK(answer.is_null("amount"));
  }
  const Message fraction = ask(*bob, R"({"type":"bid","lot":"lamp","amount":10500.0})");
  CHECK(fraction.str("code") == "invalid_amount");
  CHECK(fraction.root()["amount"].get_double().value_unsafe() == 10500.0);
}

TEST_CASE("a binary frame is answered bad_request, not read as JSON, and the connection stays") {
  Auctiond server;
  RawSocket raw(server.port);
  raw.upgrade();
  raw.raw_frame(0x2, R"({"type":"ping","id":"b"})");
  const auto answer = raw.next_frame(5s);
  REQUIRE(answer.has_value());
  CHECK(answer->opcode == 0x1);
  const Message error{answer->payload};
  CHECK(error.str("type") == "error");
  CHECK(error.str("code") == "bad_request");
  raw.frame(R"({"type":"ping","id":"t"})");
  const auto pong = raw.next_frame(5s);
  REQUIRE(pong.has_value());
  CHECK(Message{pong->payload}.str("type") == "pong");
}

TEST_CASE("bad messages are answered with their code and the connection stays usable") {
  Auctiond server;
  auto c = server.client();
  CHECK(ask(*c, "this is not json").str("code") == "bad_request");
  CHECK(ask(*c, "[1,2,3]").str("code") == "bad_request");
  CHECK(ask(*c, R"({"id":"x"})").str("code") == "bad_request");
  CHECK(ask(*c, R"({"type":"teleport"})").str("code") == "unknown_type");
  CHECK(ask(*c, R"({"type":"subscribe","lot":42})").str("code") == "bad_request");
  CHECK(ask(*c, R"({"type":"subscribe"})").str("code") == "bad_request");
  CHECK(ask(*c, R"({"type":"subscribe","lot":"no/slashes"})").str("code") == "invalid_id");
  CHECK(ask(*c, R"({"type":"bid","lot":"lamp","amount":10000})").str("code") == "not_logged_in");
  CHECK(ask(*c, R"({"type":"ping"})").str("type") == "pong");  // still usable
}

TEST_CASE("subscribers receive bid events in order — names are masked to others") {
  Auctiond server;
  auto watcher = server.login("carol");
  auto alice = server.login("alice");
  const Message snapshot = ask(*watcher, R"({"type":"subscribe","lot":"lamp"})");
  const Message mine = ask(*alice, R"({"type":"subscribe","lot":"lamp"})");
  alice->send(R"({"type":"bid","lot":"lamp","amount":10000})");
  // The answer and the lot's event may arrive in either order.
  const Message one(alice->receive(5s));
  const Message two(alice->receive(5s));
  const Message& own_event = one.str("type") == "bid" ? one : two;
  const Message& answer = one.str("type") == "bid" ? two : one;
  CHECK(answer.str("type") == "accepted");
  CHECK(own_event.str("type") == "bid");
  CHECK(own_event.str("bidder") == "alice");  // a bidder sees its own name
  const Message event(watcher->receive(5s));
  CHECK(event.str("type") == "bid");
  CHECK(event.str("bidder") == "a***e");
  CHECK(event.num("amount") == 10000);
  CHECK(event.num("seq") > snapshot.num("seq"));
  // snapshot + events after it == a fresh snapshot
  const Message fresh = ask(*watcher, R"({"type":"subscribe","lot":"lamp"})");
  CHECK(fresh.num("price") == event.num("amount"));
  CHECK(fresh.num("seq") == event.num("seq"));
  CHECK(fresh.str("leader") == "a***e");
  CHECK(fresh.num("bids") == 1);
}

TEST_CASE("an oversized frame closes the connection with 1009 — others are unaffected") {
  Auctiond server({"--max-frame-bytes", "512"});
  auto bystander = server.client();
  auto c = server.client();
  c->send(R"({"type":"ping","id":")" + std::string(2000, 'x') + R"("})");
  CHECK_FALSE(c->receive(5s).has_value());
  CHECK_MESSAGE(c->close_code() == 1009, c->last_error());
  CHECK(ask(*bystander, R"({"type":"ping"})").str("type") == "pong");
}

TEST_CASE("a bid flood is rate_limited, then closed with 1008") {
  Auctiond server({"--bids-per-second", "5", "--bid-burst", "5", "--abuse-rejections", "20"});
  auto bob = server.login("bob");
  int rate_limited = 0;
  for (int i = 0; i < 60; ++i) {
    bob->send(R"({"type":"bid","lot":"lamp","amount":)" + std::to_string(10000 + 500 * i) + "}");
  }
  while (const auto message = bob->receive(3s)) {
    rate_limited += Message(message).str("code") == "rate_limited";
  }
  CHECK(rate_limited >= 20);
  CHECK(bob->close_code() == 1008);
}

TEST_CASE("HTTP: /healthz, /metrics and the bidder page") {
  Auctiond server;
  const auto [health_status, health] = http_get(server.port, "/healthz");
  CHECK(health_status == 200);
  CHECK(health.find("\"status\":\"ok\"") != std::string::npos);
  const auto [metrics_status, metrics] = http_get(server.port, "/metrics");
  CHECK(metrics_status == 200);
  CHECK(metrics.find("auction_bids_total") != std::string::npos);
  CHECK(metrics.find("auction_journal_durable_seq") != std::string::npos);
  const auto [page_status, page] = http_get(server.port, "/");
  CHECK(page_status == 200);
  CHECK(page.find("<title>Live auction</title>") != std::string::npos);
  CHECK(http_get(server.port, "/nope").status == 404);
  CHECK(http_get(server.port, "/ws").status == 426);  // the WebSocket endpoint without a handshake
  // Past the limits: an answer that says which, not a dropped connection.
  CHECK(http_request(server.port, "GET", "/healthz", "", {{"X-Big", std::string(20'000, 'a')}})
            .status == 431);
  CHECK(http_request(server.port, "POST", "/webhooks/payment", std::string(100'000, 'a'), {})
            .status == 413);
  CHECK(http_get(server.port, "/healthz").status == 200);
}

TEST_CASE("SIGTERM: a clean exit, and a restart resumes where it stood") {
  TempDir data;
  const std::string dir = data.path();
  std::int64_t seq = 0;
  {
    Auctiond server({}, &dir);
    auto alice = server.login("alice");
    const Message accepted = ask(*alice, R"({"type":"bid","lot":"lamp","amount":12000})");
    REQUIRE(accepted.str("type") == "accepted");
    seq = accepted.num("seq");
    CHECK(server.stop() == 0);
  }
  Auctiond restarted({}, &dir);
  auto c = restarted.client();
  const Message snapshot = ask(*c, R"({"type":"subscribe","lot":"lamp"})");
  CHECK(snapshot.num("price") == 12000);
  CHECK(snapshot.num("bids") == 1);
  CHECK(snapshot.num("seq") >= seq);
}

TEST_CASE("snapshot + events = a fresh snapshot, while bids arrive during the subscribes") {
  Auctiond server({"--bids-per-second", "100000", "--bid-burst", "100000"});
  std::vector<std::unique_ptr<WsClient>> bidders;
  for (const char* user : {"alice", "bob", "carol"})
    bidders.push_back(server.login(user));
  std::atomic<bool> bidding{true};
  std::atomic<std::int64_t> accepted{0};
  std::thread bid_loop([&] {
    std::int64_t amount = 10'000;
    for (std::size_t turn = 0; bidding.load(); ++turn) {
      WsClient& who = *bidders[turn % bidders.size()];
      who.send(R"({"type":"bid","lot":"lamp","amount":)" + std::to_string(amount) + "}");
      if (const auto answer = who.receive(2s);
          answer && answer->find("accepted") != std::string::npos) {
        amount += 500;
        accepted += 1;
      }
    }
  });
  // Subscribers join at different moments while bids stream in; each follows the lot.
  std::vector<std::unique_ptr<WsClient>> watchers;
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(60ms);
    watchers.push_back(server.client());
    watchers.back()->send(R"({"type":"subscribe","lot":"lamp"})");
  }
  std::this_thread::sleep_for(200ms);
  bidding = false;
  bid_loop.join();
  REQUIRE(accepted.load() > 20);
  std::this_thread::sleep_for(200ms);  // the last events are out
  auto late = server.client();
  const Message fresh = ask(*late, R"({"type":"subscribe","lot":"lamp"})");
  for (std::size_t i = 0; i < watchers.size(); ++i) {
    CAPTURE(i);
    const Message snapshot(watchers[i]->receive(5s));
    REQUIRE(snapshot.str("type") == "snapshot");
    std::int64_t seq = snapshot.num("seq"), bids = snapshot.num("bids"),
                 price = snapshot.num("price");
    while (const auto text = watchers[i]->receive(300ms)) {
      const Message event(text);
      if (event.str("type") != "bid") continue;
      CHECK(event.num("seq") > seq);         // in order, none doubled
      CHECK(event.num("bids") == bids + 1);  // none missed
      seq = event.num("seq");
      bids = event.num("bids");
      price = event.num("amount");
    }
    CHECK(seq == fresh.num("seq"));
    CHECK(bids == fresh.num("bids"));
    CHECK(price == fresh.num("price"));
  }
}

TEST_CASE("over-long fields are too_large — a message flood is rate_limited, then closed 1008") {
  Auctiond server(
      {"--messages-per-second", "10", "--message-burst", "10", "--abuse-rejections", "20"});
  auto c = server.client();
  CHECK(ask(*c, R"({"type":"ping","id":")" + std::string(65, 'i') + R"("})").str("code") ==
        "too_large");
  for (int i = 0; i < 100; ++i)
    c->send(R"({"type":"ping"})");
  int rate_limited = 0;
  while (const auto message = c->receive(3s)) {
    rate_limited += Message(message).str("code") == "rate_limited";
  }
  CHECK(rate_limited >= 20);
  CHECK(c->close_code() == 1008);
  const auto [status, metrics] = http_get(server.port, "/metrics");
  CHECK(metrics.find("auction_messages_rate_limited_total") != std::string::npos);
}

TEST_CASE("several bidders until the close: every subscriber sees the same result") {
  Auctiond server({"--demo-sprint-ms", "1500"});
  auto alice = server.login("alice");
  auto bob = server.login("bob");
  auto carol = server.login("carol");
  auto anonymous = server.client();
  std::vector<WsClient*> watchers = {alice.get(), bob.get(), carol.get(), anonymous.get()};
  for (WsClient* w : watchers) {
    REQUIRE(ask(*w, R"({"type":"subscribe","lot":"sprint"})").str("type") == "snapshot");
  }
  alice->send(R"({"type":"bid","lot":"sprint","amount":1000})");
  bob->send(R"({"type":"bid","lot":"sprint","amount":1100})");
  carol->send(R"({"type":"bid","lot":"sprint","amount":1050})");  // too low once bob's is in
  struct Close {
    std::string outcome, winner;
    std::int64_t price, seq;
  };
  std::vector<Close> closes;
  for (WsClient* w : watchers) {
    for (;;) {
      const auto text = w->receive(10s);
      REQUIRE_MESSAGE(text.has_value(), "no close seen");
      const Message m(text);
      if (m.str("type") == "closed") {
        closes.push_back(Close{m.str("outcome"), m.str("winner"), m.num("price"), m.num("seq")});
        break;
      }
    }
  }
  for (const Close& c : closes) {
    CHECK(c.outcome == "sold");
    CHECK(c.price == 1100);
    CHECK(c.seq == closes.front().seq);
  }
  CHECK(closes[1].winner == "bob");    // the winner sees its own name
  CHECK(closes[0].winner == "b***b");  // the others see it masked
  CHECK(closes[3].winner == "b***b");
}

TEST_CASE("register: at once for a lot without deposit — settlement messages answer for orders") {
  Auctiond server;
  auto c = server.client();
  CHECK(ask(*c, R"({"type":"register","lot":"lamp"})").str("code") == "not_logged_in");
  auto alice = server.login("alice");
  const Message registered = ask(*alice, R"({"type":"register","lot":"lamp","id":"r"})");
  CHECK(registered.str("type") == "registered");
  CHECK(registered.str("lot") == "lamp");
  CHECK(registered.str("id") == "r");
  CHECK(ask(*alice, R"({"type":"register","lot":"ghost"})").str("code") == "unknown_lot");
  const Message orders = ask(*alice, R"({"type":"orders","id":"o"})");
  CHECK(orders.str("type") == "orders");
  CHECK(orders.root()["orders"].get_array().size() == 0);
  // Orders that do not exist are refused by settlement with its code and the request's id.
  for (const char* request : {R"({"type":"pay","order":"o1","id":"x"})",
                              R"({"type":"confirm_receipt","order":"o1","id":"x"})",
                              R"({"type":"dispute","order":"o1","reason":"broken","id":"x"})"}) {
    CAPTURE(request);
    const Message refused = ask(*alice, request);
    CHECK(refused.str("code") == "unknown_order");
    CHECK(refused.str("id") == "x");
  }
  CHECK(ask(*alice, R"({"type":"pay","order":"bad id!"})").str("code") == "invalid_id");
  CHECK(ask(*alice, R"({"type":"pay"})").str("code") == "bad_request");  // missing order
}

TEST_CASE(
    "over the message rate a bid still gets its one answer: rejected rate_limited, with its id") {
  Auctiond server(
      {"--messages-per-second", "0.5", "--message-burst", "2", "--abuse-rejections", "100"});
  auto alice = server.login("alice");  // the first message
  CHECK(ask(*alice, R"({"type":"bid","lot":"lamp","amount":10000,"id":"b1"})").str("type") ==
        "accepted");
  const Message limited = ask(*alice, R"({"type":"bid","lot":"lamp","amount":10500,"id":"b2"})");
  CHECK(limited.str("type") == "rejected");
  CHECK(limited.str("code") == "rate_limited");
  CHECK(limited.str("id") == "b2");
  CHECK(limited.num("min_next") == 10500);
}
