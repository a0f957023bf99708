// auction-loadgen's parts: a Connection (one WebSocket, hand-framed), and the Load that drives
// them closed loop, open loop or as a hot lot's watchers (fan-out), and reports.
// Threading: one thread (the Poller's); nothing here is shared.
#pragma once

#include <netinet/in.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "poller.h"

namespace auction::loadgen {

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
  bool in_turn = false;    // fan-out: each bid also waits for the answer to the one before
  bool json = false;
};

// Reading the server's JSON without a parser: the string or number after "key": (empty / -1
// when absent). The server writes compact JSON, so this is exact for its messages.
std::string_view text_field(std::string_view json, std::string_view key);
std::int64_t number_field(std::string_view json, std::string_view key);
// A client text frame (masking key 0: loopback only) appended to `out`.
void append_frame(std::string& out, std::string_view payload);

struct Stats {
  std::uint64_t sent = 0, answered = 0, accepted = 0, duplicates = 0, unexpected = 0;
  std::map<std::string, std::uint64_t, std::less<>> rejected;  // found without a string made
  std::vector<std::uint32_t> latency_us;
};

class Load;

class Connection final : public Poller::Handler {
 public:
  Connection(Load& load, Poller& poller, unsigned index, std::string user, std::string token,
             std::string subscribe_lot = {})
      : load_(load),
        poller_(poller),
        index_(index),
        user_(std::move(user)),
        token_(std::move(token)),
        subscribe_lot_(std::move(subscribe_lot)) {}
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  // Fan-out mode: a bid of a known amount on the followed lot.
  void queue_fixed_bid(const std::string& lot, std::int64_t amount);
  void start(const sockaddr_in& address);
  bool ready() const { return ready_; }
  std::size_t outstanding() const { return outstanding_; }
  void queue_bid(Clock::time_point intended);
  void flush();
  void on_events(std::uint32_t events) override;

 private:
  void read_all();
  bool on_read(std::size_t n);
  void fail(const char* what);
  void close();
  void on_frame(std::string_view payload);
  void on_answer(std::string_view type, std::string_view payload);
  // The time bid `id` was meant to leave, taken off the outstanding ones; none for an id that is
  // not outstanding (a duplicate answer).
  std::optional<Clock::time_point> take_outstanding(std::uint64_t id);

  Load& load_;
  Poller& poller_;
  int fd_ = -1;
  bool connected_ = false;
  unsigned index_;
  std::string user_, token_;
  std::string subscribe_lot_;  // non-empty: a subscriber (no login)
  std::vector<char> in_ = std::vector<char>(64 * 1024);
  std::size_t in_size_ = 0;
  bool upgraded_ = false, ready_ = false;
  std::string pending_;  // to send; the first pending_sent_ bytes are gone
  std::size_t pending_sent_ = 0;
  std::string text_;  // the message being framed (kept: its capacity is reused)
  std::uint64_t next_id_ = 1;
  // Ids are sequential and answers come nearly in order: the send times of ids first_id_ on, in
  // a deque (a map cost an allocation and a tree walk per bid: the load generator shares the
  // two cores with the server it measures). An answered id's entry is cleared; answered ones
  // leave the front.
  std::uint64_t first_id_ = 1;
  std::deque<std::optional<Clock::time_point>> sent_at_;
  std::size_t outstanding_ = 0;
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
  // Queued only: the connection sends once it has read every answer of its read.
  void next_closed_loop(Connection& c) {
    if (options_.rate == 0 && !stopping_) c.queue_bid(Clock::now());
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
  // A bidder's answers come in the order of its bids.
  void fanout_answer(unsigned bidder, bool accepted) {
    accepted ? ++stats_.accepted : ++stats_.rejected["any"];
    ++stats_.answered;
    auto& sent = bidder_sent_[bidder % 2];
    if (sent.empty()) {
      ++stats_.unexpected;
      return;
    }
    answer_us_.push_back(static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent.front())
            .count()));
    sent.pop_front();
  }
  int run_fanout();
  const Options& options() const { return options_; }

 private:
  void tick();
  void report(double seconds);
  // The --target address (IPv4 a.b.c.d:port); exits on a bad one.
  sockaddr_in target() const;

  Options options_;
  std::vector<std::pair<std::string, std::string>> accounts_;
  std::vector<std::int64_t> next_amount_;
  std::mt19937 rng_;
  Poller poller_;
  std::vector<std::unique_ptr<Connection>> connections_;
  unsigned ready_ = 0;
  bool measuring_ = false, stopping_ = false;
  Stats stats_;
  Clock::time_point started_;
  std::uint64_t scheduled_ = 0;
  std::map<std::int64_t, Clock::time_point> bid_sent_at_;  // fan-out: amount → when sent
  std::uint64_t deliveries_ = 0;
  std::deque<Clock::time_point> bidder_sent_[2];  // fan-out: each bidder's bids not answered
  std::vector<std::uint32_t> answer_us_;          // fan-out: each bid's round trip
  std::uint64_t resyncs_ = 0;
};

}  // namespace auction::loadgen
