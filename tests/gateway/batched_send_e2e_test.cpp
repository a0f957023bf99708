// Frames queued on a connection leave together (issue 19): the server frames its own messages and
// writes a connection's whole queue in one send, while Beast keeps answering pings. A reader
// that parses the bytes by hand gets every frame whole and in order, many per send.
#include <doctest/doctest.h>

#include "hot_lot.h"
#include "raw_socket.h"

using namespace auction;
using namespace auction::testing;
using namespace std::chrono_literals;

namespace {

// What a subscriber read: the lot's events checked in order against the snapshot before them.
struct Reading {
  std::int64_t bids = 0;  // the lot's bid count after the last frame read
  int events = 0;
  int pongs = 0;
  std::vector<std::string> pong_payloads;
};

Reading read_all(RawSocket& socket) {
  Reading r;
  std::int64_t seq = -1;
  while (const auto frame = socket.next_message(2s)) {
    if (frame->opcode == 0xA) {
      ++r.pongs;
      r.pong_payloads.push_back(frame->payload);
      continue;
    }
    REQUIRE(frame->opcode == 0x1);  // text: nothing else is sent
    const Message m(frame->payload);
    const std::string type = m.str("type");
    if (type == "snapshot") {
      CHECK_FALSE(m.has("resync"));  // the limit is set high: the backlog is sent, not replaced
      seq = m.num("seq"), r.bids = m.num("bids");
    } else if (type == "bid") {
      CHECK(m.num("seq") >= seq);
      CHECK(m.num("bids") == r.bids + 1);  // none missed, none doubled, none out of order
      seq = m.num("seq"), r.bids = m.num("bids"), ++r.events;
    }
  }
  return r;
}

std::int64_t fresh_bids(Auctiond& server) {
  auto fresh = server.client();
  fresh->send(R"({"type":"subscribe","lot":"hot","id":"f"})");
  const Message now(fresh->receive(5s));
  return now.num("bids");
}

}  // namespace

TEST_CASE("a slow reader's queued frames leave many to a send, whole and in order") {
  Auctiond server(with({"--resync-after-frames", "100000"}));
  create_hot_lot(server);
  RawSocket slow(server.port, 4096);  // a small window: the server's queue builds up
  slow.upgrade();
  slow.frame(R"({"type":"subscribe","lot":"hot","id":"s"})");
  BidWar war(server);
  REQUIRE(war.maxima(1'000) == 1'000);

  const Reading r = read_all(slow);
  CHECK(r.events >= 2'000);  // bob's 1,000 maxima, each answered by alice's
  CHECK(r.bids == fresh_bids(server));
  const auto frames = metric(server.port, "auction_frames_out_total");
  const auto sends = metric(server.port, "auction_sends_total");
  MESSAGE(frames << " frames in " << sends << " sends");
  REQUIRE(sends > 0);
  CHECK(static_cast<double>(frames) / static_cast<double>(sends) > 1.5);
  CHECK(metric(server.port, "auction_closed_slow_reader_total") == 0);
}

TEST_CASE("pings amid a stream of queued frames: each gets its pong, no frame is torn") {
  Auctiond server(with({"--resync-after-frames", "100000"}));
  create_hot_lot(server);
  RawSocket slow(server.port, 4096);
  slow.upgrade();
  slow.frame(R"({"type":"subscribe","lot":"hot","id":"s"})");
  BidWar war(server);
  // Beast answers each ping itself, between (never inside) the server's batches of frames.
  constexpr int kPings = 20;
  for (int i = 0; i < kPings; ++i) {
    slow.raw_frame(0x9, "p" + std::to_string(i));
    REQUIRE(war.maxima(50) == 50);
  }
  const Reading r = read_all(slow);
  CHECK(r.pongs == kPings);
  for (int i = 0; i < std::min(kPings, r.pongs); ++i)
    CHECK(r.pong_payloads[static_cast<std::size_t>(i)] == "p" + std::to_string(i));
  CHECK(r.events >= 2 * 50 * kPings);
  CHECK(r.bids == fresh_bids(server));
  slow.frame(R"({"type":"ping","id":"q"})");  // still served
  const auto pong = slow.next_message(5s);
  CHECK((pong && pong->payload.find("pong") != std::string::npos));
}

TEST_CASE("a message past 64 KiB is framed with the 8-byte length") {
  // The lots list of ~600 lots is larger than 65,535 bytes: RFC 6455's longest length form.
  Auctiond server(kFastLimits);
  Settle settle(server);
  std::string lots;
  for (int i = 0; i < 600; ++i) {
    lots += std::string(lots.empty() ? "" : ",") + R"({"id":"lot-)" + std::to_string(i) +
            R"(","title":"A lot with a title long enough to fill the list","seller":"gallery",)"
            R"("currency":"EUR","start_price":1000,"increment":10,"starts_in_ms":0,)"
            R"("timed_ms":600000,"extension_ms":60000})";
  }
  const auto reply = settle.admin("POST", "/v1/lots", R"({"lots":[)" + lots + "]}");
  REQUIRE_MESSAGE(reply.status == 201, reply.body);
  RawSocket socket(server.port);
  socket.upgrade();
  socket.frame(R"({"type":"lots","id":"l"})");
  const auto frame = socket.next_frame(5s);
  REQUIRE(frame);
  CHECK(frame->fin);
  CHECK(frame->payload.size() > 65'535);
  const Message m(frame->payload);
  CHECK(m.str("type") == "lots");
  CHECK(frame->payload.find(R"("lot-599")") != std::string::npos);
}

TEST_CASE("the answers of one durable batch leave a connection together, in order") {
  // A send the socket takes is written at once, so each answer written as it is made would go
  // alone; the answers a batch brings a connection are queued first and leave in one send.
  Auctiond server(kFastLimits);
  create_hot_lot(server);
  BidWar war(server);  // nobody subscribed: the sends below carry bob's answers only
  const auto sends_before = metric(server.port, "auction_sends_total");
  REQUIRE(war.maxima(1'000) == 1'000);  // windows of 100 maxima, each answer checked in turn
  const auto sends = metric(server.port, "auction_sends_total") - sends_before;
  MESSAGE(sends << " sends for 1,000 answers");
  CHECK(sends > 0);
  CHECK(sends < 500);
}
