// Load: the closed and open loops, and the report.
#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "load.h"

namespace auction::loadgen {

void Load::answered(Clock::time_point intended, std::string_view type, std::string_view code) {
  ++stats_.answered;
  if (type == "accepted") {
    ++stats_.accepted;
  } else if (type != "pong") {
    const auto found = stats_.rejected.find(code);
    if (found != stats_.rejected.end()) {
      ++found->second;
    } else {
      stats_.rejected.emplace(std::string(code), 1);
    }
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
}

sockaddr_in Load::target() const {
  const auto colon = options_.target.rfind(':');
  sockaddr_in address{};
  address.sin_family = AF_INET;
  unsigned port = 0;
  const std::string host = options_.target.substr(0, colon);
  const char* digits = options_.target.c_str() + colon + 1;
  if (colon == std::string::npos || ::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1 ||
      std::sscanf(digits, "%u", &port) != 1 || port == 0 || port > 65'535) {
    std::fprintf(stderr, "auction-loadgen: --target %s: expected an IPv4 address:port\n",
                 options_.target.c_str());
    std::exit(1);
  }
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  return address;
}

int Load::run() {
  const sockaddr_in address = target();
  for (unsigned i = 0; i < options_.connections; ++i) {
    const auto& [user, token] = accounts_[i % accounts_.size()];
    connections_.push_back(std::make_unique<Connection>(*this, poller_, i, user, token));
    connections_.back()->start(address);
  }
  // Log everyone in (bounded), then measure for the duration.
  const auto login_deadline = Clock::now() + std::chrono::seconds(30);
  while (ready_ < options_.connections && Clock::now() < login_deadline) {
    poller_.run_for(std::chrono::milliseconds(10));
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
    poller_.run_for(std::chrono::duration_cast<std::chrono::milliseconds>(
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
  // The open loop's schedule is looked at every millisecond.
  const auto end = started_ + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(options_.duration_s));
  for (auto now = started_; now < end; now = Clock::now()) {
    tick();
    poller_.run_until(std::min(end, now + std::chrono::milliseconds(1)));
  }
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
    poller_.run_for(std::chrono::milliseconds(10));
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

}  // namespace auction::loadgen
