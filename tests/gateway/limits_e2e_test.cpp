// The server's limits against abusive clients, over real sockets against the built auctiond:
// a handshake that never completes, a client that never reads, too many connections. For each,
// well-behaved clients connected at the same time keep being served.
#include <doctest/doctest.h>

#include <thread>

#include "auctiond_fixture.h"
#include "raw_socket.h"

using namespace auction::testing;
using namespace std::chrono_literals;

namespace {

// Round-trip time of a ping from a well-behaved client.
std::chrono::microseconds ping_time(WsClient& client) {
  const auto start = std::chrono::steady_clock::now();
  client.send(R"({"type":"ping"})");
  REQUIRE(client.receive(5s).has_value());
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                               start);
}

}  // namespace

TEST_CASE("slowloris: a request that never completes is closed after the handshake timeout") {
  Auctiond server({"--handshake-timeout-ms", "500"});
  RawSocket slow(server.port);
  slow.send("GET /ws HTTP/1.1\r\nHost: t\r\nUpg");  // and nothing more
  auto good = server.client();
  CHECK(Message(good->receive(0ms).value_or("{}")).text().size() > 0);  // connected
  CHECK(slow.closed_within(3s));
  const auto rtt = ping_time(*good);
  CHECK(rtt < 200ms);
}

TEST_CASE("an idle WebSocket that answers no keep-alive ping is closed after the idle timeout") {
  Auctiond server({"--idle-timeout-ms", "600"});
  RawSocket idle(server.port);
  idle.upgrade();
  const auto start = std::chrono::steady_clock::now();
  int pings = 0;
  std::chrono::steady_clock::duration ping_after{};
  while (const auto frame = idle.next_frame(5s)) {
    if (frame->opcode != 0x9) continue;
    ++pings;
    ping_after = std::chrono::steady_clock::now() - start;
  }
  const auto silent = std::chrono::steady_clock::now() - start;
  CHECK(idle.ended());
  CHECK(pings == 1);  // one keep-alive ping, after half the timeout
  CHECK(ping_after >= 280ms);
  CHECK(ping_after < 600ms);
  CHECK(silent >= 580ms);
  CHECK(silent < 2s);
}

TEST_CASE("a WebSocket that keeps sending messages gets no keep-alive ping and stays open") {
  Auctiond server({"--idle-timeout-ms", "600"});
  RawSocket busy(server.port);
  busy.upgrade();
  // Three idle timeouts, a message every 50 ms: each resets the keep-alive's count (a ping
  // would need 300 ms of silence).
  for (int i = 0; i < 36; ++i) {
    busy.frame(R"({"type":"ping","id":"p)" + std::to_string(i) + R"("})");
    const auto answer = busy.next_frame(5s);
    REQUIRE(answer.has_value());
    REQUIRE(answer->opcode == 0x1);  // the pong's text, never a keep-alive ping
    CHECK(answer->payload.find("\"p" + std::to_string(i) + "\"") != std::string::npos);
    std::this_thread::sleep_for(50ms);
  }
  CHECK(!busy.next_frame(50ms).has_value());
  CHECK(!busy.ended());
}

TEST_CASE("a WebSocket that answers the keep-alive pings stays open past the idle timeout") {
  Auctiond server({"--idle-timeout-ms", "400"});
  RawSocket quiet(server.port);
  quiet.upgrade();
  // Three idle timeouts with nothing sent but the pongs.
  const auto until = std::chrono::steady_clock::now() + 1200ms;
  int pings = 0;
  while (std::chrono::steady_clock::now() < until) {
    const auto frame = quiet.next_frame(50ms);
    if (!frame) continue;
    REQUIRE(frame->opcode == 0x9);  // no close
    ++pings;
    quiet.raw_frame(0xA, frame->payload);
  }
  CHECK(!quiet.ended());
  CHECK(pings >= 2);
  quiet.frame(R"({"type":"ping","id":"still-here"})");
  const auto answer = quiet.next_frame(5s);
  REQUIRE(answer.has_value());
  CHECK(answer->payload.find("\"still-here\"") != std::string::npos);
}

TEST_CASE("a client that does not read is disconnected — others keep their latency") {
  // Message limits out of the way: this client is to be dropped for not reading, not flooding.
  // 200 lots make each `lots` answer ~20 KB, so 1,000 unread answers (~20 MB) overflow the
  // kernel's socket buffers (a few MB at most) and then the server's 64 KiB outbound limit.
  Auctiond server({"--max-outbound-bytes", "65536", "--messages-per-second", "100000",
                   "--message-burst", "100000", "--demo-open-lots", "200"});
  auto good = server.client();
  std::vector<std::chrono::microseconds> quiet;
  for (int i = 0; i < 20; ++i)
    quiet.push_back(ping_time(*good));
  RawSocket reader_that_never_reads(server.port, 4096);
  reader_that_never_reads.upgrade();
  // Ask for far more than the limit and never read it.
  for (int i = 0; i < 3'000; ++i)
    reader_that_never_reads.frame(R"({"type":"lots"})");
  std::vector<std::chrono::microseconds> busy;
  for (int i = 0; i < 20; ++i)
    busy.push_back(ping_time(*good));
  // The server gives up on it while it reads nothing (the check below reads what the kernel's
  // buffers hold: started too early, its reading would let a slow server keep up).
  const auto until = std::chrono::steady_clock::now() + 20s;
  std::string metrics_now;
  while (metrics_now.find("auction_closed_slow_reader_total 1") == std::string::npos &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(50ms);
    metrics_now = http_get(server.port, "/metrics").body;
  }
  CHECK(reader_that_never_reads.closed_within(5s));
  std::sort(quiet.begin(), quiet.end());
  std::sort(busy.begin(), busy.end());
  MESSAGE("ping median quiet " << quiet[10].count() << " us, beside a non-reader "
                               << busy[10].count() << " us");
  CHECK(busy[10] < 50ms);
  const auto [status, metrics] = http_get(server.port, "/metrics");
  CHECK(metrics.find("auction_closed_slow_reader_total 1") != std::string::npos);
}

TEST_CASE("connections past the limit are refused — the others are served") {
  Auctiond server({"--max-connections", "3"});
  auto a = server.client();
  auto b = server.client();
  auto c = server.client();
  bool refused = false;
  try {
    WsClient d("127.0.0.1", server.port);
    d.send(R"({"type":"ping"})");
    refused = !d.receive(2s).has_value();
  } catch (const std::exception&) {
    refused = true;  // the handshake failed: closed at accept
  }
  CHECK(refused);
  CHECK(ping_time(*a) < 200ms);
}
