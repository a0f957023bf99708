// Load::run_fanout: a hot lot's watchers.
#include <algorithm>
#include <cstdio>

#include "load.h"

namespace auction::loadgen {
// Fan-out: --connections subscribers follow one lot while two bidders alternate at --rate bids/s;
// each delivered bid event's latency is measured from when its bid was due, and each bid's
// answer from the same moment.
int Load::run_fanout() {
  const sockaddr_in address = target();
  const std::string& lot = options_.fanout_lot;
  for (unsigned i = 0; i < 2; ++i) {
    connections_.push_back(
        std::make_unique<Connection>(*this, poller_, i, accounts_[i].first, accounts_[i].second));
  }
  for (unsigned i = 0; i < options_.connections; ++i) {
    connections_.push_back(std::make_unique<Connection>(*this, poller_, i + 2, "", "", lot));
  }
  for (auto& c : connections_)
    c->start(address);
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (ready_ < connections_.size() && Clock::now() < deadline) {
    poller_.run_for(std::chrono::milliseconds(10));
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
  const auto due_at = [&](std::uint64_t bid) {
    return started_ + std::chrono::duration_cast<Clock::duration>(
                          std::chrono::duration<double>(static_cast<double>(bid) / rate));
  };
  while (Clock::now() - started_ < std::chrono::duration<double>(options_.duration_s)) {
    const auto due = static_cast<std::uint64_t>(
        std::chrono::duration<double>(Clock::now() - started_).count() * rate);
    // On schedule, whatever is outstanding (open loop), unless --in-turn: then a bid also waits
    // for the answer to the one before, as bidders who watch the price do. Without it, two bids
    // in flight from the two bidders can reach the engine in either order when the bidders sit
    // on different IO lanes: the later amount first, then the earlier one refused below the
    // minimum (counted: "accepted"). Latency counts from when a bid was due, not when it left.
    while (bids < due && (!options_.in_turn || stats_.answered == stats_.sent)) {
      Connection& bidder = *connections_[bids % 2];
      const auto due_time = due_at(bids);
      bid_sent_at_[amount] = due_time;
      bidder_sent_[bids % 2].push_back(due_time);
      bidder.queue_fixed_bid(lot, amount);
      bidder.flush();
      amount += 50;
      ++bids;
      ++stats_.sent;
    }
    poller_.run_for(std::chrono::milliseconds(1));
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
  const auto drain = Clock::now() + std::chrono::seconds(10);
  while ((stats_.answered < stats_.sent || deliveries_ < stats_.accepted * options_.connections) &&
         Clock::now() < drain) {
    poller_.run_for(std::chrono::milliseconds(10));
  }
  auto& l = stats_.latency_us;
  std::sort(l.begin(), l.end());
  std::sort(answer_us_.begin(), answer_us_.end());
  const auto pct_of = [](const std::vector<std::uint32_t>& v, double p) {
    return v.empty() ? 0.0
                     : v[std::min(v.size() - 1,
                                  static_cast<std::size_t>(p * static_cast<double>(v.size())))] /
                           1000.0;
  };
  const auto pct = [&](double p) { return pct_of(l, p); };
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
  std::printf("bid answers ms: p50 %.3f  p99 %.3f  max %.3f\n", pct_of(answer_us_, 0.5),
              pct_of(answer_us_, 0.99), pct_of(answer_us_, 1.0));
  // Taking turns, no bid can overtake another: each must have been accepted.
  if (options_.in_turn && stats_.accepted != stats_.sent) {
    std::fprintf(stderr, "auction-loadgen: in turn, yet %llu of %llu bids refused\n",
                 static_cast<unsigned long long>(stats_.sent - stats_.accepted),
                 static_cast<unsigned long long>(stats_.sent));
    return 2;
  }
  return deliveries_ == expected ? 0 : 2;
}

}  // namespace auction::loadgen
