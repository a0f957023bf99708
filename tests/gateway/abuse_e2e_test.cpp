// Abusive clients at scale (issue 9), against the built auctiond on loopback, each bounded in
// count and time: 1,000 connections sending oversized frames, 1,000 slowloris handshakes,
// connections that never read, invalid UTF-8, deeply nested and huge JSON, 10,000
// connect/disconnect cycles, bids at 10× the rate limit. For each: the server
// stays up, its memory stays bounded, a well-behaved client beside the abuse keeps being served
// (its ping p99 is printed against a quiet run: the figures are in docs/RELIABILITY.md), and no
// acknowledged bid is lost.
#include <doctest/doctest.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "auction/persistence/journal.h"
#include "auction/persistence/record_codec.h"
#include "auctiond_fixture.h"
#include "raw_socket.h"

using namespace auction;
using namespace auction::testing;
using namespace std::chrono_literals;

namespace {

// GCC says so with __SANITIZE_*__; clang 14 (the ASan stage's compiler) only with __has_feature.
#if defined(__has_feature)
#define AUCTION_CLANG_SANITIZED __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#else
#define AUCTION_CLANG_SANITIZED 0
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || AUCTION_CLANG_SANITIZED
constexpr bool kSanitized = true;  // auctiond is built the same way as this test
#else
constexpr bool kSanitized = false;
#endif

std::size_t rss_kib(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  std::size_t value = 0;
  while (status >> key) {
    if (key == "VmRSS:") {
      status >> value;
      return value;
    }
  }
  return 0;
}

std::size_t open_files(int pid) {
  std::error_code ec;
  std::size_t n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); ++it)
    ++n;
  return n;
}

// The open files of `pid` once they are down to `limit`, or after `within`: a socket the server
// closes with a code waits out a short patience for the client's unread bytes first, and a
// sanitized build is slower at it, so leaks show as files still open after seconds, not at once.
std::size_t open_files_settled(int pid, std::size_t limit, std::chrono::milliseconds within) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  std::size_t n = open_files(pid);
  while (n > limit && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
    n = open_files(pid);
  }
  return n;
}

// 1,000 sockets in this process and as many in auctiond: lift the soft limit to the hard one
// before the server starts (it inherits it).
void raise_file_limit() {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, 65'536);
  setrlimit(RLIMIT_NOFILE, &limit);
}

// A well-behaved bidder beside the abuse: pings on its own thread, one at a time, and samples
// the server's memory as it goes. No assertions off the main thread: it only records.
class Probe {
 public:
  Probe(Auctiond& server, const std::string& user) : pid_(server.pid()) {
    client_ = server.login(user);
  }
  ~Probe() { stop(); }

  void start() {
    rtts_.clear();
    running_ = true;
    thread_ = std::thread([this] {
      while (running_) {
        const auto begin = std::chrono::steady_clock::now();
        client_->send(R"({"type":"ping"})");
        const bool answered = client_->receive(5s).has_value();
        const auto rtt = std::chrono::steady_clock::now() - begin;
        std::lock_guard lock(mutex_);
        if (!answered) ++unanswered_;
        rtts_.push_back(std::chrono::duration_cast<std::chrono::microseconds>(rtt));
        peak_rss_kib_ = std::max(peak_rss_kib_, rss_kib(pid_));
        std::this_thread::sleep_for(2ms);
      }
    });
  }
  void stop() {
    running_ = false;
    if (thread_.joinable()) thread_.join();
  }
  // Stops and returns the p99 round trip of this phase.
  std::chrono::microseconds p99() {
    stop();
    std::lock_guard lock(mutex_);
    REQUIRE(!rtts_.empty());
    std::sort(rtts_.begin(), rtts_.end());
    return rtts_[std::min(rtts_.size() - 1, rtts_.size() * 99 / 100)];
  }
  // With AUCTION_ABUSE_SAMPLES=DIR, appends this phase's round trips (µs, one per line) to
  // DIR/<what>.<phase>, so tools/abuse-figures.sh can pool the pings of many runs: one run's
  // p99 rests on its 3 to 13 worst pings.
  void save(const std::string& what, const char* phase) {
    const char* dir = std::getenv("AUCTION_ABUSE_SAMPLES");
    if (dir == nullptr) return;
    std::string name = what;
    std::replace(name.begin(), name.end(), '/', '-');
    std::ofstream out(std::string(dir) + "/" + name + "." + phase, std::ios::app);
    std::lock_guard lock(mutex_);
    for (const auto rtt : rtts_)
      out << rtt.count() << '\n';
  }
  std::size_t pings() {
    std::lock_guard lock(mutex_);
    return rtts_.size();
  }
  int unanswered() {
    std::lock_guard lock(mutex_);
    return unanswered_;
  }
  std::size_t peak_rss_kib() {
    std::lock_guard lock(mutex_);
    return peak_rss_kib_;
  }

 private:
  int pid_;
  std::unique_ptr<WsClient> client_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::mutex mutex_;
  std::vector<std::chrono::microseconds> rtts_;
  int unanswered_ = 0;
  std::size_t peak_rss_kib_ = 0;
};

// Two quiet seconds of pings, then the abuse with the probe running beside it, repeated in
// rounds for at least two seconds (at most `max_rounds`) so both p99s rest on ~1,000 pings;
// prints and checks what holds for every kind of abuse. Returns the rounds run.
template <typename Abuse>
int with_probe(Auctiond& server, const char* what, Abuse&& abuse, int max_rounds = 1) {
  Probe probe(server, "alice");
  probe.start();
  std::this_thread::sleep_for(2s);
  const auto quiet = probe.p99();
  probe.save(what, "quiet");
  const std::size_t rss_before = rss_kib(server.pid());
  const std::size_t files_before = open_files(server.pid());
  probe.start();
  const auto started = std::chrono::steady_clock::now();
  int rounds = 0;
  // The abusive client runs at the lowest CPU priority (SCHED_IDLE): in production it is another
  // machine, and on these two shared cores its own CPU (loopback TCP work, both ends of every
  // handshake, runs in the sender's context) would otherwise be charged to the server. The
  // server's threads keep their priority, so what it spends on the abuse still shows in the
  // probe's p99.
  std::exception_ptr failed;
  std::thread abuser([&] {
    const sched_param lowest{};
    ::sched_setscheduler(0, SCHED_IDLE, &lowest);  // this thread only (Linux)
    try {
      do {
        abuse();
      } while (++rounds < max_rounds && std::chrono::steady_clock::now() - started < 2s);
    } catch (...) {
      failed = std::current_exception();
    }
  });
  abuser.join();
  if (failed) std::rethrow_exception(failed);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const std::size_t pings = probe.pings();
  const auto busy = probe.p99();
  probe.save(what, "beside");
  const std::size_t rss_after = rss_kib(server.pid());
  MESSAGE(std::string(what) << ": " << rounds << " round(s) in " << seconds
                            << " s; well-behaved ping p99 quiet " << quiet.count()
                            << " us, beside the abuse " << busy.count() << " us (" << pings
                            << " pings); auctiond RSS " << rss_before / 1024 << " MiB before, peak "
                            << probe.peak_rss_kib() / 1024 << " MiB, after " << rss_after / 1024
                            << " MiB; open files " << files_before << " before, "
                            << open_files(server.pid()) << " after");
  CHECK(probe.unanswered() == 0);  // the well-behaved client was always served
  CHECK(busy < 250ms);             // and not starved (the 10% criterion is measured, not CI's)
  if (!kSanitized) {               // ASan's quarantine keeps up to 256 MiB of freed memory resident
    CHECK(probe.peak_rss_kib() < rss_before + 256 * 1024);  // memory stays bounded
    CHECK(rss_after < rss_before + 64 * 1024);
  }
  // every abusive socket was let go
  CHECK(open_files_settled(server.pid(), files_before + 8, 5s) <= files_before + 8);
  const auto [status, health] = http_get(server.port, "/healthz");
  CHECK(status == 200);
  return rounds;
}

// The issue's volume for connection abuse at a pace one abusive host could keep up: `batch`
// (50 connections) every 100 ms for two seconds, 1,000 in all.
template <typename Batch>
void fifty_every_100ms(Batch&& batch) {
  for (int i = 0; i < 20; ++i) {
    const auto next = std::chrono::steady_clock::now() + 100ms;
    batch();
    std::this_thread::sleep_until(next);
  }
}

}  // namespace

TEST_CASE("abuse: 1,000 connections sending oversized frames are each closed with 1009") {
  raise_file_limit();
  Auctiond server;
  int closed_1009 = 0;
  const int rounds = with_probe(
      server, "rounds of 1,000 connections with oversized frames",
      [&] {
        for (int batch = 0; batch < 10; ++batch) {
          std::vector<std::unique_ptr<RawSocket>> sockets;
          for (int i = 0; i < 100; ++i) {
            sockets.push_back(std::make_unique<RawSocket>(server.port));
            sockets.back()->upgrade();
          }
          // Each announces 1 MiB in a text frame (the limit is 4 KiB) and sends the first 8 KiB.
          for (auto& socket : sockets)
            socket->raw_frame(0x1, std::string(8'192, 'x'), 1 << 20);
          for (auto& socket : sockets)
            closed_1009 += socket->close_code_within(10s) == 1009 ? 1 : 0;
        }
      },
      20);
  CHECK(closed_1009 == 1'000 * rounds);
}

TEST_CASE("abuse: 1,000 connections with oversized frames spread over two seconds") {
  // The issue's volume (1,000 connections) at a pace a single abusive host could keep up, so the
  // well-behaved client's p99 beside it compares with its quiet p99 (the case above hammers at
  // ~8,500 handshakes/s on the two cores the probe and the server share).
  raise_file_limit();
  Auctiond server;
  int closed_1009 = 0;
  with_probe(server, "1,000 connections with oversized frames over 2 s", [&] {
    fifty_every_100ms([&] {
      std::vector<std::unique_ptr<RawSocket>> sockets;
      for (int i = 0; i < 50; ++i) {
        sockets.push_back(std::make_unique<RawSocket>(server.port));
        sockets.back()->upgrade();
        sockets.back()->raw_frame(0x1, std::string(8'192, 'x'), 1 << 20);
      }
      for (auto& socket : sockets)
        closed_1009 += socket->close_code_within(10s) == 1009 ? 1 : 0;
    });
  });
  CHECK(closed_1009 == 1'000);
}

TEST_CASE("abuse: 1,000 slowloris handshakes are each closed at the handshake timeout") {
  // Opened at a steady pace over two seconds, one every 2 ms (an attacker holding slots open; a
  // connect burst is the connect/disconnect case), each sends half a request line and stalls.
  // docs/RELIABILITY.md also has the figure for bursts of 50 back-to-back connects.
  raise_file_limit();
  Auctiond server({"--handshake-timeout-ms", "1000"});
  int closed = 0;
  with_probe(server, "1,000 handshakes that never complete, opened over 2 s", [&] {
    std::vector<std::unique_ptr<RawSocket>> sockets;
    auto next = std::chrono::steady_clock::now();
    for (int i = 0; i < 1'000; ++i) {
      next += 2ms;
      sockets.push_back(std::make_unique<RawSocket>(server.port));
      sockets.back()->send("GET /ws HTTP/1.1\r\nHost: t\r\nUpg");  // and nothing more
      std::this_thread::sleep_until(next);
    }
    for (auto& socket : sockets)
      closed += socket->closed_within(5s) ? 1 : 0;
  });
  CHECK(closed == 1'000);
}

TEST_CASE("abuse: connections that never read are dropped at the outbound limit") {
  // As in limits_e2e_test.cpp, at 20 connections: each asks for ~60 MB of `lots` answers (200
  // lots) and never reads; the server drops it at its 64 KiB outbound limit.
  Auctiond server({"--max-outbound-bytes", "65536", "--messages-per-second", "100000",
                   "--message-burst", "100000", "--demo-open-lots", "200"});
  int closed = 0;
  with_probe(server, "20 connections that never read", [&] {
    std::vector<std::unique_ptr<RawSocket>> sockets;
    for (int i = 0; i < 20; ++i) {
      sockets.push_back(std::make_unique<RawSocket>(server.port, 4096));
      sockets.back()->upgrade();
      for (int m = 0; m < 3'000; ++m)
        sockets.back()->frame(R"({"type":"lots"})");
    }
    // Only then look: reading to see the close would drain the very queue that must overflow
    // (under ThreadSanitizer the server was still answering when the first socket was read).
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (http_get(server.port, "/metrics").body.find("auction_closed_slow_reader_total 20") ==
               std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(100ms);
    }
    for (auto& socket : sockets)
      closed += socket->closed_within(5s) ? 1 : 0;
  });
  CHECK(closed == 20);
  const auto [status, metrics] = http_get(server.port, "/metrics");
  CHECK(metrics.find("auction_closed_slow_reader_total 20") != std::string::npos);
}

TEST_CASE("abuse: invalid UTF-8 in text frames is closed with 1007 — the server stays up") {
  // 1,000 connections (the issue's volume for connection abuse) over two seconds, 50 every
  // 100 ms; docs/RELIABILITY.md also has the figure for 10,000 at full speed.
  raise_file_limit();
  Auctiond server;
  int closed_1007 = 0;
  with_probe(server, "1,000 connections with invalid UTF-8 over 2 s", [&] {
    const std::string invalid[] = {"\xC3\x28", "{\"type\":\"ping\",\"id\":\"\xFF\xFE\"}",
                                   "\xED\xA0\x80", "{\"type\":\"login\",\"user\":\"\xC0\xAF\"}"};
    fifty_every_100ms([&] {
      for (int i = 0; i < 50; ++i) {
        RawSocket socket(server.port);
        socket.upgrade();
        socket.raw_frame(0x1, invalid[i % 4]);
        closed_1007 += socket.close_code_within(10s) == 1007 ? 1 : 0;
      }
    });
  });
  CHECK(closed_1007 == 1'000);
}

TEST_CASE("abuse: deeply nested and huge JSON get an error, or 1009 past the frame limit") {
  Auctiond server({"--messages-per-second", "100000", "--message-burst", "100000"});
  int answered = 0, closed_1009 = 0;
  const int rounds = with_probe(
      server, "rounds of 200 nested and 20 huge JSON messages",
      [&] {
        auto client = server.login("bob");
        for (int i = 0; i < 200; ++i) {
          const int depth = 100 + i * 9;  // up to 1,891 levels: 2 × depth bytes, within 4 KiB
          std::string nested = R"({"type":"ping","id":"n","deep":)" + std::string(depth, '[') +
                               std::string(depth, ']') + "}";
          if (i % 2 == 1) nested = std::string(depth, '[');  // and never closed
          client->send(nested);
          const auto answer = client->receive(5s);
          answered += answer.has_value() ? 1 : 0;
        }
        client->send(R"({"type":"ping","id":"after"})");  // still usable
        const auto pong = client->receive(5s);
        CHECK(pong.has_value());
        CHECK(pong.value_or("").find("pong") != std::string::npos);
        for (int i = 0; i < 20; ++i) {
          RawSocket huge(server.port);
          huge.upgrade();
          huge.raw_frame(0x1, "{\"type\":\"ping\",\"pad\":\"" + std::string(64 << 10, 'x') + "\"}");
          closed_1009 += huge.close_code_within(10s) == 1009 ? 1 : 0;
        }
      },
      50);
  CHECK(answered == 200 * rounds);  // every nested message answered (pong or bad_request)
  CHECK(closed_1009 == 20 * rounds);
}

TEST_CASE("abuse: 10,000 rapid connect/disconnect cycles leave nothing behind") {
  Auctiond server;
  int cycles = 0;
  with_probe(server, "10,000 connect/disconnect cycles", [&] {
    const auto deadline = std::chrono::steady_clock::now() + 90s;
    for (; cycles < 10'000 && std::chrono::steady_clock::now() < deadline; ++cycles) {
      RawSocket socket(server.port);
      if (cycles % 2 == 0) socket.upgrade();  // half complete the handshake, half hang up first
    }
  });
  CHECK(cycles == 10'000);
}

TEST_CASE("abuse: bids at 10× the rate limit are rate_limited — no accepted bid is lost") {
  // Default limits: 20 bids/s per connection, bursts of 40. Two bidders outbid each other, each
  // sending 200 bids a second for 3 s, every bid a valid raise over the last one sent.
  Auctiond server({"--demo-open-lots", "1"});
  std::unique_ptr<WsClient> bidders[2] = {server.login("bob"), server.login("carol")};
  bidders[0]->send(R"({"type":"subscribe","lot":"open-0"})");
  const Message snapshot(bidders[0]->receive(5s));
  const std::int64_t start = snapshot.num("min_next"), increment = snapshot.num("increment");
  REQUIRE(start > 0);
  std::set<std::pair<int, std::int64_t>> accepted;  // (bidder, amount)
  std::map<std::string, int> rejected;
  int answers = 0, sent = 0;
  const auto drain = [&](int who, std::chrono::milliseconds wait) {
    while (const auto text = bidders[who]->receive(wait)) {
      const Message message(text);
      const std::string type = message.str("type");
      if (type == "accepted") accepted.emplace(who, message.num("amount"));
      if (type == "rejected") rejected[message.str("code")] += 1;
      answers += type == "accepted" || type == "rejected";
      wait = 0ms;
    }
  };
  with_probe(server, "two bidders at 200 bids/s each against a 20/s limit", [&] {
    for (; sent < 1'200; ++sent) {
      bidders[sent % 2]->send(R"({"type":"bid","lot":"open-0","amount":)" +
                              std::to_string(start + increment * sent) + "}");
      if (sent % 2 == 1) std::this_thread::sleep_for(5ms);
      drain(0, 0ms);
      drain(1, 0ms);
    }
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (answers < sent && std::chrono::steady_clock::now() < deadline) {
      drain(0, 50ms);
      drain(1, 50ms);
    }
  });
  MESSAGE("sent " << sent << ", accepted " << accepted.size() << ", rate_limited "
                  << rejected["rate_limited"] << ", already_leading " << rejected["already_leading"]
                  << ", below_minimum " << rejected["below_minimum"]);
  CHECK(answers == sent);  // every bid answered exactly once
  CHECK(rejected["rate_limited"] > 800);
  CHECK(accepted.size() >= 30);
  CHECK(bidders[0]->is_open());  // never 200 rejections in a row: no 1008
  CHECK(bidders[1]->is_open());
  REQUIRE(server.stop() == 0);

  // Every accepted bid is in the journal.
  std::unique_ptr<persistence::Journal> journal;
  REQUIRE(persistence::Journal::open({server.data_dir + "/journal", 0, true}, journal).is_ok());
  std::set<std::pair<int, std::int64_t>> journaled;
  REQUIRE(journal
              ->scan(1,
                     [&](Seq, std::string_view bytes) {
                       Command command;
                       if (persistence::decode_record(bytes, command).is_ok()) {
                         if (const auto* bid = std::get_if<PlaceBid>(&command.body)) {
                           const int who = bid->bidder.view() == "bob"     ? 0
                                           : bid->bidder.view() == "carol" ? 1
                                                                           : -1;
                           journaled.emplace(who, bid->amount_minor);
                         }
                       }
                       return true;
                     })
              .is_ok());
  for (const auto& bid : accepted)
    CHECK(journaled.contains(bid));
}

TEST_CASE(
    "an oversized frame of any size, up to 16 MiB sent whole, gets a close 1009 it can read") {
  Auctiond server;
  for (const std::size_t size :
       {std::size_t{64} << 10, std::size_t{1} << 20, std::size_t{4} << 20, std::size_t{16} << 20}) {
    CAPTURE(size);
    RawSocket socket(server.port);
    socket.upgrade();
    socket.raw_frame(0x1, std::string(size, 'x'));  // the whole frame, as a careless client would
    CHECK(socket.close_code_within(10s) == 1009);
  }
  auto client = server.login("bob");  // the server is unharmed
  client->send(R"({"type":"ping","id":"after"})");
  CHECK(client->receive(5s).value_or("").find("pong") != std::string::npos);
}

TEST_CASE("an oversized message from a WebSocket library is closed with 1009 it reports") {
  Auctiond server;
  for (const std::size_t size : {std::size_t{4} << 20, std::size_t{16} << 20}) {
    CAPTURE(size);
    auto client = server.login("bob");
    client->send(std::string(size, 'x'));
    const auto t0 = std::chrono::steady_clock::now();
    CHECK_FALSE(client->receive(30s).has_value());  // the close, not a message
    MESSAGE("closed after " << std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now() - t0)
                                   .count()
                            << " ms");
    CHECK_MESSAGE(client->close_code() == 1009, client->last_error());
  }
}
