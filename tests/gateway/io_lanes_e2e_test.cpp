// Several IO threads (`--io-threads`): each runs its own sessions (connections go round the
// lanes), the board hands each lane its own deliveries, and answers reach their session on its
// lane. Every watcher, whatever its lane, sees every event of the hot lot once and in order, and
// every bid is answered.
#include <doctest/doctest.h>

#include "hot_lot.h"

using namespace auction;
using namespace auction::testing;
using namespace std::chrono_literals;

TEST_CASE("three IO threads: watchers on every lane get every event in order") {
  // No resync: on a loaded machine a watcher's reading thread may wait long enough for 256
  // frames to queue, and this test counts every event (resync_e2e_test.cpp tests resyncs).
  Auctiond server(with({"--io-threads", "3", "--resync-after-frames", "100000"}));
  create_hot_lot(server);
  // Seven watchers: with the two bidders that follow, the nine connections cover each lane
  // three times.
  std::vector<std::unique_ptr<WsClient>> watchers;
  for (int i = 0; i < 7; ++i) {
    watchers.push_back(server.client());
    watchers.back()->send(R"({"type":"subscribe","lot":"hot","id":"w"})");
    REQUIRE(Message(watchers.back()->receive(5s)).str("type") == "snapshot");
  }
  BidWar war(server);
  REQUIRE(war.maxima(300) == 300);  // every answer, through the bidders' lanes

  // 1 + 2 × 300 bid events: alice's opening bid, then bob's and alice's answer per maximum.
  constexpr std::int64_t kBids = 1 + 2 * 300;
  for (auto& watcher : watchers) {
    std::int64_t bids = 0, seq = 0;
    while (bids < kBids) {
      const auto frame = watcher->receive(5s);
      REQUIRE_MESSAGE(frame, "a watcher stopped at " << bids << " of " << kBids << " bid events");
      const Message m(*frame);
      if (m.str("type") != "bid") continue;
      CHECK(m.num("bids") == bids + 1);  // none missed, none doubled
      CHECK(m.num("seq") >= seq);        // in order (a maximum's two bids share a seq)
      bids = m.num("bids"), seq = m.num("seq");
    }
  }
  CHECK(metric(server.port, "auction_resyncs_total") == 0);
  CHECK(metric(server.port, "auction_closed_slow_reader_total") == 0);
}

TEST_CASE("a turn longer than one step: 600 watchers get every event in order, bids answered") {
  // One lane: each event is a turn of 600 deliveries, which the courier starts in steps of 256
  // sends, with reads and answers between the steps; events arriving meanwhile wait for the
  // turn's end and go in the next one.
  Auctiond server(with({"--resync-after-frames", "100000"}));
  create_hot_lot(server);
  std::vector<std::unique_ptr<WsClient>> watchers;
  for (int i = 0; i < 600; ++i) {
    watchers.push_back(server.client());
    watchers.back()->send(R"({"type":"subscribe","lot":"hot","id":"w"})");
  }
  for (auto& watcher : watchers)
    REQUIRE(Message(watcher->receive(5s)).str("type") == "snapshot");
  BidWar war(server);
  REQUIRE(war.maxima(100) == 100);  // answered while the turns run

  constexpr std::int64_t kBids = 1 + 2 * 100;
  for (auto& watcher : watchers) {
    std::int64_t bids = 0;
    while (bids < kBids) {
      const auto frame = watcher->receive(5s);
      REQUIRE_MESSAGE(frame, "a watcher stopped at " << bids << " of " << kBids << " bid events");
      const Message m(*frame);
      if (m.str("type") != "bid") continue;
      REQUIRE(m.num("bids") == bids + 1);  // none missed, none doubled, none out of order
      bids = m.num("bids");
    }
  }
  CHECK(metric(server.port, "auction_frames_out_total") >= 600 * kBids);
  CHECK(metric(server.port, "auction_closed_slow_reader_total") == 0);
}
