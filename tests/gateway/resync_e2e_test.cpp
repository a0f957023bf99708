// A subscriber that falls behind (SPEC §7): it gets a fresh snapshot marked "resync": true in
// place of its backlog, not a disconnect, and from that snapshot on the snapshot + events rule
// holds (its picture of the lot equals a fresh subscriber's). One that does not read at all is
// closed once it stays behind past the not-reading timeout.
#include <doctest/doctest.h>

#include "hot_lot.h"
#include "raw_socket.h"

using namespace auction;
using namespace auction::testing;
using namespace std::chrono_literals;

TEST_CASE("a subscriber that falls behind gets a resync snapshot, and then the true picture") {
  Auctiond server(with({"--resync-after-frames", "8"}));
  create_hot_lot(server);
  RawSocket slow(server.port, 4096);  // a small window: the server's queue fills quickly
  slow.upgrade();
  slow.frame(R"({"type":"subscribe","lot":"hot","id":"s"})");
  BidWar war(server);
  REQUIRE(war.maxima(3'000) == 3'000);

  // Now read everything: a snapshot (at least one marked resync), then events in order.
  std::int64_t seq = -1, snapshot_seq = -1, price = 0, bids = 0, resyncs = 0, events_after = 0;
  while (const auto frame = slow.next_message(2s)) {
    const Message m(frame->payload);
    const std::string type = m.str("type");
    if (type == "snapshot") {
      resyncs += m.has("resync");
      seq = snapshot_seq = m.num("seq"), price = m.num("price"), bids = m.num("bids");
      events_after = 0;
    } else if (type == "bid") {
      // Never an event the snapshot already holds; in order (a maximum's two bids share a seq).
      CHECK(m.num("seq") > snapshot_seq);
      CHECK(m.num("seq") >= seq);
      CHECK(m.num("bids") == bids + 1);  // none missed, none doubled
      seq = m.num("seq"), price = m.num("amount"), bids = m.num("bids"), ++events_after;
    }
  }
  CHECK(resyncs >= 1);
  MESSAGE(resyncs << " resync snapshots; " << events_after << " events after the last");
  slow.frame(R"({"type":"ping","id":"p"})");  // still connected, still served
  const auto pong = slow.next_message(5s);
  CHECK((pong && pong->payload.find("pong") != std::string::npos));

  // The slow subscriber's picture equals a fresh subscriber's.
  auto fresh = server.client();
  fresh->send(R"({"type":"subscribe","lot":"hot","id":"f"})");
  const Message now(fresh->receive(5s));
  CHECK(now.num("seq") == seq);
  CHECK(now.num("price") == price);
  CHECK(now.num("bids") == bids);
  CHECK(now.num("price") == 1'010 + 20 * 2'999 + 10);  // alice one rung above bob's last
  CHECK(metric(server.port, "auction_resyncs_total") >= 1);
  CHECK(metric(server.port, "auction_closed_slow_reader_total") == 0);
}

TEST_CASE("a subscriber that does not read at all is closed once it stays behind") {
  Auctiond server(with({"--resync-after-frames", "8", "--not-reading-timeout-ms", "300"}));
  create_hot_lot(server);
  RawSocket never_reads(server.port, 4096);
  never_reads.upgrade();
  never_reads.frame(R"({"type":"subscribe","lot":"hot","id":"s"})");
  BidWar war(server);
  // Events until the server gives up on it: first the kernel's socket buffers fill (megabytes,
  // resync snapshots included), then the connection stays behind past the timeout.
  const auto until = std::chrono::steady_clock::now() + 20s;
  while (metric(server.port, "auction_closed_slow_reader_total") == 0 &&
         std::chrono::steady_clock::now() < until) {
    war.maxima(100);
  }
  CHECK(metric(server.port, "auction_closed_slow_reader_total") == 1);
  CHECK(never_reads.closed_within(10s));  // reads what the buffers hold, then the end
  MESSAGE(war.sent() << " maxima, " << metric(server.port, "auction_resyncs_total")
                     << " resync snapshots before the close");
}
