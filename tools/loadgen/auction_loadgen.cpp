// auction-loadgen: many WebSocket bidders against auctiond over loopback.
//
//   auction-loadgen --tokens FILE [--target 127.0.0.1:8080] [--connections 1000] [--lots 1000]
//                   [--duration 10] [--rate 0 | BIDS_PER_SECOND] [--in-flight 1] [--ping] [--json]
//
// Each connection logs in as one bidder of the tokens file ("user token" lines, e.g. from
// `auctiond --demo --demo-bidders N --demo-tokens-file FILE`) and bids on the lots open-0..N-1,
// each bid the next valid raise as far as it knows. Closed loop (--rate 0): each connection keeps
// --in-flight bids outstanding. Open loop (--rate R): bids are scheduled at R per second in all,
// and latency is measured from each bid's intended send time, so a stalled server cannot hide its
// stall (no coordinated omission). At the end it checks that every bid got exactly one answer.
// --ping sends pings instead of bids: auctiond answers them on its IO thread, without the core or
// the journal, so the figure is the WebSocket round trip alone (the reference for bench/peers).
//
// Frugal by design (the machine has 2 cores shared with the server): one thread, hand-rolled
// framing, every frame due on a connection written in one send, every complete frame in the read
// buffer handled before reading again. Client frames use a zero masking key: loopback only.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/asio.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  std::string target = "127.0.0.1:8080";
  std::string tokens_file;
  unsigned connections = 1'000;
  unsigned lots = 1'000;
  double duration_s = 10;
  double rate = 0;  // 0 = closed loop
  unsigned in_flight = 1;
  bool idle = false;  // log in, then hold the connections without bidding (memory per connection)
  bool ping = false;  // send pings instead of bids: the gateway's round trip without the journal
  std::string fanout_lot;  // fan-out mode: --connections subscribers on this lot, two bidders
  bool json = false;
};

std::string_view text_field(std::string_view json, std::string_view key) {
  const std::string pattern = "\"" + std::string(key) + "\":\"";
  const auto at = json.find(pattern);
  if (at == std::string_view::npos) return {};
  const auto start = at + pattern.size();
  return json.substr(start, json.find('"', start) - start);
}

std::int64_t number_field(std::string_view json, std::string_view key) {
  const std::string pattern = "\"" + std::string(key) + "\":";
  const auto at = json.find(pattern);
  if (at == std::string_view::npos) return -1;
  std::int64_t value = -1;
  const char* begin = json.data() + at + pattern.size();
  std::from_chars(begin, json.data() + json.size(), value);
  return value;
}

void append_frame(std::string& out, std::string_view payload) {
  out.push_back(static_cast<char>(0x81));  // FIN, text
  if (payload.size() < 126) {
    out.push_back(static_cast<char>(0x80 | payload.size()));
  } else {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(payload.size() >> 8));
    out.push_back(static_cast<char>(payload.size() & 0xFF));
  }
  out.append(4, '\0');  // masking key 0: the payload goes as is
  out.append(payload);
}

struct Stats {
  std::uint64_t sent = 0, answered = 0, accepted = 0, duplicates = 0, unexpected = 0;
  std::map<std::string, std::uint64_t> rejected;
  std::vector<std::uint32_t> latency_us;
};

class Load;

class Connection {
 public:
  Connection(Load& load, asio::io_context& io, unsigned index, std::string user, std::string token,
             std::string subscribe_lot = {})
      : load_(load),
        socket_(io),
        index_(index),
        user_(std::move(user)),
        token_(std::move(token)),
        subscribe_lot_(std::move(subscribe_lot)) {}
  // Fan-out mode: a bid of a known amount on the followed lot.
  void queue_fixed_bid(const std::string& lot, std::int64_t amount) {
    char text[160];
    const int n =
        std::snprintf(text, sizeof(text), "{\"type\":\"bid\",\"lot\":\"%s\",\"amount\":%lld}",
                      lot.c_str(), static_cast<long long>(amount));
    append_frame(pending_, std::string_view(text, static_cast<std::size_t>(n)));
  }
  void start(const tcp::endpoint& endpoint);
  bool ready() const { return ready_; }
  std::size_t outstanding() const { return outstanding_.size(); }
  void queue_bid(Clock::time_point intended);
  void flush();

 private:
  void do_read();
  void on_frame(std::string_view payload);
  void on_answer(std::string_view payload);

  Load& load_;
  tcp::socket socket_;
  unsigned index_;
  std::string user_, token_;
  std::string subscribe_lot_;  // non-empty: a subscriber (no login)
  std::vector<char> in_ = std::vector<char>(64 * 1024);
  std::size_t in_size_ = 0;
  bool upgraded_ = false, ready_ = false, writing_ = false;
  std::string pending_, sending_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, Clock::time_point> outstanding_;
};

class Load {
 public:
  Load(Options options, std::vector<std::pair<std::string, std::string>> accounts)
      : options_(std::move(options)),
        accounts_(std::move(accounts)),
        next_amount_(options_.lots, 1'000),
        rng_(12345) {}

  int run();
  std::pair<unsigned, std::int64_t> pick_bid() {
    const unsigned lot = std::uniform_int_distribution<unsigned>(0, options_.lots - 1)(rng_);
    return {lot, next_amount_[lot]};
  }
  void learned(unsigned lot, std::int64_t next) {
    next_amount_[lot] = std::max(next_amount_[lot], next);
  }
  void answered(Clock::time_point intended, std::string_view type, std::string_view code);
  void duplicate() { ++stats_.duplicates; }
  void unexpected() { ++stats_.unexpected; }
  void sent() { ++stats_.sent; }
  void on_ready() { ++ready_; }
  void on_ready_bid(Connection& c) {
    if (options_.rate == 0) {
      for (unsigned i = 0; i < options_.in_flight; ++i)
        c.queue_bid(Clock::now());
      c.flush();
    }
  }
  void next_closed_loop(Connection& c) {
    if (options_.rate == 0 && !stopping_) {
      c.queue_bid(Clock::now());
      c.flush();
    }
  }
  bool measuring() const { return measuring_; }
  void delivered(std::int64_t amount) {
    const auto sent = bid_sent_at_.find(amount);
    if (sent == bid_sent_at_.end()) return;
    ++deliveries_;
    stats_.latency_us.push_back(static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent->second)
            .count()));
  }
  // A subscriber that fell behind got a fresh snapshot in place of events (SPEC §7): counted,
  // so that a run says how many events were replaced rather than delivered.
  void resynced() { ++resyncs_; }
  void fanout_answer(bool accepted) {
    accepted ? ++stats_.accepted : ++stats_.rejected["any"];
    ++stats_.answered;
  }
  int run_fanout();
  const Options& options() const { return options_; }

 private:
  void tick();
  void report(double seconds);

  Options options_;
  std::vector<std::pair<std::string, std::string>> accounts_;
  std::vector<std::int64_t> next_amount_;
  std::mt19937 rng_;
  asio::io_context io_;
  std::vector<std::unique_ptr<Connection>> connections_;
  unsigned ready_ = 0;
  bool measuring_ = false, stopping_ = false;
  Stats stats_;
  Clock::time_point started_;
  std::uint64_t scheduled_ = 0;
  asio::steady_timer timer_{io_};
  std::map<std::int64_t, Clock::time_point> bid_sent_at_;  // fan-out: amount → when sent
  std::uint64_t deliveries_ = 0;
  std::uint64_t resyncs_ = 0;
};

void Connection::start(const tcp::endpoint& endpoint) {
  socket_.async_connect(endpoint, [this](boost::system::error_code ec) {
    if (ec) {
      std::fprintf(stderr, "auction-loadgen: connect: %s\n", ec.message().c_str());
      return;
    }
    socket_.set_option(tcp::no_delay(true));
    pending_ =
        "GET /ws HTTP/1.1\r\nHost: loadgen\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    flush();  // the login follows the server's 101 (RFC 6455: no frames before the handshake)
    do_read();
  });
}

void Connection::queue_bid(Clock::time_point intended) {
  const std::uint64_t id = next_id_++;
  outstanding_.emplace(id, intended);
  char text[160];
  if (load_.options().ping) {
    const int n = std::snprintf(text, sizeof(text), "{\"type\":\"ping\",\"id\":\"%llu\"}",
                                static_cast<unsigned long long>(id));
    append_frame(pending_, std::string_view(text, static_cast<std::size_t>(n)));
    return load_.sent();
  }
  const auto [lot, amount] = load_.pick_bid();
  const int n = std::snprintf(
      text, sizeof(text), "{\"type\":\"bid\",\"id\":\"%llu\",\"lot\":\"open-%u\",\"amount\":%lld}",
      static_cast<unsigned long long>(id), lot, static_cast<long long>(amount));
  append_frame(pending_, std::string_view(text, static_cast<std::size_t>(n)));
  load_.sent();
}

void Connection::flush() {
  if (writing_ || pending_.empty()) return;
  writing_ = true;
  std::swap(sending_, pending_);
  asio::async_write(socket_, asio::buffer(sending_),
                    [this](boost::system::error_code ec, std::size_t) {
                      writing_ = false;
                      sending_.clear();
                      if (!ec) flush();
                    });
}

void Connection::do_read() {
  socket_.async_read_some(
      asio::buffer(in_.data() + in_size_, in_.size() - in_size_),
      [this](boost::system::error_code ec, std::size_t n) {
        if (ec) return;
        in_size_ += n;
        std::size_t at = 0;
        if (!upgraded_) {
          const std::string_view head(in_.data(), in_size_);
          const auto end = head.find("\r\n\r\n");
          if (end == std::string_view::npos) return do_read();
          if (head.substr(0, 12) != "HTTP/1.1 101") {
            std::fprintf(stderr, "auction-loadgen: upgrade refused\n");
            return;
          }
          upgraded_ = true;
          at = end + 4;
          if (subscribe_lot_.empty()) {
            append_frame(pending_, "{\"type\":\"login\",\"user\":\"" + user_ + "\",\"token\":\"" +
                                       token_ + "\"}");
          } else {
            append_frame(pending_, "{\"type\":\"subscribe\",\"lot\":\"" + subscribe_lot_ + "\"}");
          }
          flush();
        }
        // Every complete frame in the buffer, before reading again.
        while (in_size_ - at >= 2) {
          const auto* p = reinterpret_cast<const unsigned char*>(in_.data() + at);
          std::size_t length = p[1] & 0x7F, header = 2;
          if (length == 126) {
            if (in_size_ - at < 4) break;
            length = (std::size_t{p[2]} << 8) | p[3];
            header = 4;
          } else if (length == 127) {
            if (in_size_ - at < 10) break;
            length = 0;
            for (int i = 0; i < 8; ++i)
              length = (length << 8) | p[2 + i];
            header = 10;
          }
          if (in_size_ - at < header + length) break;
          const unsigned opcode = p[0] & 0x0F;
          if (opcode == 0x1) on_frame(std::string_view(in_.data() + at + header, length));
          if (opcode == 0x8) return;  // closed by the server
          at += header + length;
        }
        std::memmove(in_.data(), in_.data() + at, in_size_ - at);
        in_size_ -= at;
        if (in_size_ == in_.size()) in_.resize(in_.size() * 2);
        do_read();
      });
}

void Connection::on_frame(std::string_view payload) {
  const std::string_view type = text_field(payload, "type");
  if (type == "snapshot" && payload.find("\"resync\":true") != std::string_view::npos) {
    load_.resynced();
  } else if (type == "login_ok" || type == "snapshot") {
    ready_ = true;  // bidding starts with the measurement (Load::run)
    load_.on_ready();
  } else if (type == "bid" && !subscribe_lot_.empty()) {
    load_.delivered(number_field(payload, "amount"));
  } else if ((type == "accepted" || type == "rejected") && !load_.options().fanout_lot.empty()) {
    load_.fanout_answer(type == "accepted");
  } else if (type == "accepted" || type == "rejected" || type == "pong") {
    on_answer(payload);
  } else if (type == "error") {
    std::fprintf(stderr, "auction-loadgen: %s: %.*s\n", user_.c_str(),
                 static_cast<int>(payload.size()), payload.data());
  }
}

void Connection::on_answer(std::string_view payload) {
  const std::string_view id_text = text_field(payload, "id");
  std::uint64_t id = 0;
  std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  const auto found = outstanding_.find(id);
  if (found == outstanding_.end()) return load_.duplicate();
  const Clock::time_point intended = found->second;
  outstanding_.erase(found);
  const std::string_view type = text_field(payload, "type");
  const std::string_view lot_text = text_field(payload, "lot");
  unsigned lot = 0;
  if (lot_text.size() > 5)
    std::from_chars(lot_text.data() + 5, lot_text.data() + lot_text.size(), lot);
  const std::string_view code =
      type == "rejected" ? text_field(payload, "code") : std::string_view{};
  const std::int64_t next = number_field(payload, "min_next");
  if (next > 0) load_.learned(lot, next);
  load_.answered(intended, type, code);
  load_.next_closed_loop(*this);
}

void Load::answered(Clock::time_point intended, std::string_view type, std::string_view code) {
  ++stats_.answered;
  if (type == "accepted") {
    ++stats_.accepted;
  } else if (type != "pong") {
    ++stats_.rejected[std::string(code)];
  }
  stats_.latency_us.push_back(static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - intended).count()));
}

void Load::tick() {
  const auto now = Clock::now();
  if (measuring_ && options_.rate > 0 && !stopping_) {
    // Open loop: everything due by now, spread over the connections, sent in one write each.
    const double elapsed = std::chrono::duration<double>(now - started_).count();
    const auto due = static_cast<std::uint64_t>(elapsed * options_.rate);
    const double interval = 1.0 / options_.rate;
    while (scheduled_ < due) {
      Connection& c = *connections_[scheduled_ % connections_.size()];
      const auto intended = started_ + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(scheduled_ * interval));
      if (c.ready()) c.queue_bid(intended);
      ++scheduled_;
    }
    for (auto& c : connections_)
      c->flush();
  }
  timer_.expires_after(std::chrono::milliseconds(1));
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) tick();
  });
}

int Load::run() {
  const auto colon = options_.target.rfind(':');
  const tcp::endpoint endpoint(
      asio::ip::make_address(options_.target.substr(0, colon)),
      static_cast<unsigned short>(std::stoi(options_.target.substr(colon + 1))));
  for (unsigned i = 0; i < options_.connections; ++i) {
    const auto& [user, token] = accounts_[i % accounts_.size()];
    connections_.push_back(std::make_unique<Connection>(*this, io_, i, user, token));
    connections_.back()->start(endpoint);
  }
  // Log everyone in (bounded), then measure for the duration.
  const auto login_deadline = Clock::now() + std::chrono::seconds(30);
  while (ready_ < options_.connections && Clock::now() < login_deadline) {
    io_.run_for(std::chrono::milliseconds(10));
  }
  if (ready_ < options_.connections) {
    std::fprintf(stderr, "auction-loadgen: only %u of %u connections logged in\n", ready_,
                 options_.connections);
    return 1;
  }
  if (options_.idle) {
    std::printf("%u connections logged in and idle; holding them %.0f s\n", ready_,
                options_.duration_s);
    std::fflush(stdout);
    io_.run_for(std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::duration<double>(options_.duration_s)));
    return 0;
  }
  stats_ = Stats{};
  measuring_ = true;
  started_ = Clock::now();
  if (options_.rate == 0) {
    for (auto& c : connections_)
      on_ready_bid(*c);
  }
  tick();
  io_.run_for(std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::duration<double>(options_.duration_s)));
  const double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
  stopping_ = true;
  // Give the answers still owed up to 10 s to arrive.
  const auto drain_deadline = Clock::now() + std::chrono::seconds(10);
  auto owed = [&] {
    std::size_t n = 0;
    for (auto& c : connections_)
      n += c->outstanding();
    return n;
  };
  while (owed() > 0 && Clock::now() < drain_deadline)
    io_.run_for(std::chrono::milliseconds(10));
  report(seconds);
  return owed() == 0 && stats_.duplicates == 0 ? 0 : 2;
}

void Load::report(double seconds) {
  auto& l = stats_.latency_us;
  std::sort(l.begin(), l.end());
  const auto pct = [&](double p) -> double {
    if (l.empty()) return 0;
    return l[std::min(l.size() - 1, static_cast<std::size_t>(p * static_cast<double>(l.size())))] /
           1000.0;
  };
  std::uint64_t missing = 0;
  for (auto& c : connections_)
    missing += c->outstanding();
  const double rate = static_cast<double>(stats_.answered) / seconds;
  if (options_.json) {
    std::printf(
        "{\"connections\":%u,\"mode\":\"%s\",\"seconds\":%.3f,\"sent\":%llu,\"answered\":%llu,"
        "\"accepted\":%llu,\"bids_per_second\":%.0f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,"
        "\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f,\"missing\":%llu,\"duplicates\":%llu",
        options_.connections, options_.rate == 0 ? "closed" : "open", seconds,
        static_cast<unsigned long long>(stats_.sent),
        static_cast<unsigned long long>(stats_.answered),
        static_cast<unsigned long long>(stats_.accepted), rate, pct(0.5), pct(0.9), pct(0.99),
        pct(0.999), l.empty() ? 0.0 : l.back() / 1000.0, static_cast<unsigned long long>(missing),
        static_cast<unsigned long long>(stats_.duplicates));
    std::printf(",\"rejected\":{");
    bool first = true;
    for (const auto& [code, n] : stats_.rejected) {
      std::printf("%s\"%s\":%llu", first ? "" : ",", code.c_str(),
                  static_cast<unsigned long long>(n));
      first = false;
    }
    std::printf("}}\n");
    return;
  }
  std::printf("connections %u, %s loop%s, %.1f s\n", options_.connections,
              options_.rate == 0 ? "closed" : "open",
              options_.rate == 0
                  ? ""
                  : (" at " + std::to_string(static_cast<long>(options_.rate)) + "/s").c_str(),
              seconds);
  const char* what = options_.ping ? "pings" : "bids";
  std::printf("%s sent %llu, answered %llu (%.0f/s), accepted %llu\n", what,
              static_cast<unsigned long long>(stats_.sent),
              static_cast<unsigned long long>(stats_.answered), rate,
              static_cast<unsigned long long>(stats_.accepted));
  for (const auto& [code, n] : stats_.rejected) {
    std::printf("  rejected %-24s %llu\n", code.c_str(), static_cast<unsigned long long>(n));
  }
  std::printf("latency ms: p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f\n", pct(0.5),
              pct(0.9), pct(0.99), pct(0.999), l.empty() ? 0.0 : l.back() / 1000.0);
  std::printf("every %s answered exactly once: %s (missing %llu, duplicates %llu)\n",
              options_.ping ? "ping" : "bid", missing == 0 && stats_.duplicates == 0 ? "yes" : "NO",
              static_cast<unsigned long long>(missing),
              static_cast<unsigned long long>(stats_.duplicates));
}

// Fan-out: --connections subscribers follow one lot while two bidders alternate at --rate bids/s;
// each delivered bid event's latency is measured from when its bid was sent.
int Load::run_fanout() {
  const auto colon = options_.target.rfind(':');
  const tcp::endpoint endpoint(
      asio::ip::make_address(options_.target.substr(0, colon)),
      static_cast<unsigned short>(std::stoi(options_.target.substr(colon + 1))));
  const std::string& lot = options_.fanout_lot;
  for (unsigned i = 0; i < 2; ++i) {
    connections_.push_back(
        std::make_unique<Connection>(*this, io_, i, accounts_[i].first, accounts_[i].second));
  }
  for (unsigned i = 0; i < options_.connections; ++i) {
    connections_.push_back(std::make_unique<Connection>(*this, io_, i + 2, "", "", lot));
  }
  for (auto& c : connections_)
    c->start(endpoint);
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (ready_ < connections_.size() && Clock::now() < deadline) {
    io_.run_for(std::chrono::milliseconds(10));
  }
  if (ready_ < connections_.size()) {
    std::fprintf(stderr, "auction-loadgen: only %u of %zu connections ready\n", ready_,
                 connections_.size());
    return 1;
  }
  const double rate = options_.rate > 0 ? options_.rate : 50;
  started_ = Clock::now();
  std::int64_t amount = 1'000'000;  // far above the lot's price: every bid is a valid raise
  std::uint64_t bids = 0;
  while (Clock::now() - started_ < std::chrono::duration<double>(options_.duration_s)) {
    const auto due = static_cast<std::uint64_t>(
        std::chrono::duration<double>(Clock::now() - started_).count() * rate);
    while (bids < due) {
      Connection& bidder = *connections_[bids % 2];
      bid_sent_at_[amount] = Clock::now();
      bidder.queue_fixed_bid(lot, amount);
      bidder.flush();
      amount += 50;
      ++bids;
      ++stats_.sent;
    }
    io_.run_for(std::chrono::milliseconds(1));
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
  const auto drain = Clock::now() + std::chrono::seconds(10);
  while ((stats_.answered < stats_.sent || deliveries_ < stats_.accepted * options_.connections) &&
         Clock::now() < drain) {
    io_.run_for(std::chrono::milliseconds(10));
  }
  auto& l = stats_.latency_us;
  std::sort(l.begin(), l.end());
  const auto pct = [&](double p) {
    return l.empty() ? 0.0
                     : l[std::min(l.size() - 1,
                                  static_cast<std::size_t>(p * static_cast<double>(l.size())))] /
                           1000.0;
  };
  const std::uint64_t expected = stats_.accepted * options_.connections;
  std::printf("fan-out: %u subscribers on %s, %llu bids (%llu accepted) at %.0f/s over %.1f s\n",
              options_.connections, lot.c_str(), static_cast<unsigned long long>(stats_.sent),
              static_cast<unsigned long long>(stats_.accepted), rate, seconds);
  std::printf(
      "deliveries %llu of %llu expected (%.0f/s); %llu resync snapshots in place of the rest\n",
      static_cast<unsigned long long>(deliveries_), static_cast<unsigned long long>(expected),
      static_cast<double>(deliveries_) / seconds, static_cast<unsigned long long>(resyncs_));
  std::printf("delivery latency ms: p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f\n", pct(0.5),
              pct(0.9), pct(0.99), pct(0.999), l.empty() ? 0.0 : l.back() / 1000.0);
  return deliveries_ == expected ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{"auction-loadgen: WebSocket bidders against auctiond (loopback)"};
  app.add_option("--target", options.target, "auctiond address:port");
  app.add_option("--tokens", options.tokens_file, "file of \"user token\" lines")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--connections", options.connections, "WebSocket connections")
      ->check(CLI::Range(1, 100'000));
  app.add_option("--lots", options.lots, "bid on lots open-0 .. open-(N-1)")
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--duration", options.duration_s, "seconds of measurement")
      ->check(CLI::Range(0.1, 3600.0));
  app.add_option("--rate", options.rate, "bids per second in all (open loop); 0 = closed loop");
  app.add_option("--in-flight", options.in_flight, "closed loop: bids outstanding per connection")
      ->check(CLI::Range(1, 256));
  app.add_flag("--idle", options.idle, "log in, then hold the connections idle for --duration");
  app.add_option("--fanout-lot", options.fanout_lot,
                 "fan-out: --connections subscribers on this lot, two bidders at --rate bids/s");
  app.add_flag("--ping", options.ping,
               "send pings, not bids: the gateway's round trip without the journal");
  app.add_flag("--json", options.json, "one JSON object instead of the table");
  CLI11_PARSE(app, argc, argv);
  std::vector<std::pair<std::string, std::string>> accounts;
  std::ifstream in(options.tokens_file);
  std::string user, token;
  while (in >> user >> token)
    accounts.emplace_back(user, token);
  if (accounts.empty()) {
    std::fprintf(stderr, "auction-loadgen: no accounts in %s\n", options.tokens_file.c_str());
    return 1;
  }
  Load load(options, std::move(accounts));
  return options.fanout_lot.empty() ? load.run() : load.run_fanout();
}
