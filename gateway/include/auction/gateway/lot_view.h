// A lot as the bidder protocol shows it (SPEC §7): its public state as of the durable watermark,
// and its last accepted bids. Built by the lot board from durable events; encoded by the
// protocol (protocol.h); listed by the admin API.
// Threading: plain values.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auction/engine/event.h"

namespace auction::gateway {

// One accepted bid, as a snapshot's `recent` and the admin's "lots show" list them.
struct RecentBid {
  Seq seq = 0;
  TimeMs ts_ms = 0;
  UserId bidder;
  AmountMinor amount_minor = 0;
  bool auto_bid = false;        // bid by the engine for a maximum (SPEC §4.2)
  bool priority_match = false;  // a priority purchaser matched the price (SPEC §4.3)
};

// The last few accepted bids of a lot, in a fixed ring (no allocation per bid).
class RecentBids {
 public:
  static constexpr std::size_t kCapacity = 50;  // SPEC §7: a snapshot's `recent`, at most 50
  void push(const RecentBid& bid) {
    ring_[next_] = bid;
    next_ = (next_ + 1) % kCapacity;
    if (count_ < kCapacity) ++count_;
  }
  // Newest first.
  std::vector<RecentBid> newest_first() const {
    std::vector<RecentBid> out;
    for (std::size_t i = 1; i <= count_; ++i)
      out.push_back(ring_[(next_ + kCapacity - i) % kCapacity]);
    return out;
  }

 private:
  std::array<RecentBid, kCapacity> ring_{};
  std::size_t next_ = 0;
  std::size_t count_ = 0;
};

struct LotView {
  LotConfig config;
  Phase phase = Phase::scheduled;
  AmountMinor price_minor = 0;
  UserId leader;
  // The leader's maximum (its price for a plain bid): shown to the leader only, as `your_max`.
  AmountMinor leader_max_minor = 0;
  std::optional<TimeMs> deadline_ms;
  std::uint32_t bid_count = 0;
  Seq seq = 0;
  std::optional<Outcome> outcome;
  UserId winner;
  TimeMs closed_at_ms = 0;  // 0 while bidding is not over
  // While paused: the time the lot had left when it was paused (frozen until resumed), else 0.
  DurationMs paused_remaining_ms = 0;

  bool bidding_over() const { return phase == Phase::closed || phase == Phase::cancelled; }
  std::optional<AmountMinor> min_next_minor() const;
  // SPEC §7 `your_max`: the viewer's live maximum, when it leads with one above the price.
  std::optional<AmountMinor> your_max_minor(const UserId& viewer) const {
    if (viewer.empty() || viewer != leader || bidding_over() || leader_max_minor <= price_minor) {
      return std::nullopt;
    }
    return leader_max_minor;
  }
  // SPEC §7: before the first bid too, false while a reserve above the start price is unmet.
  bool reserve_met() const {
    return price_minor != 0 ? price_minor >= config.reserve_minor
                            : config.reserve_minor <= config.start_price_minor;
  }
};

// A lot's increment table as JSON: [[from, increment], ...] (SPEC §4.1, minor units).
std::string increments_json(const LotConfig& config);

// "alice" → "a***e": enough to tell bidders apart in a feed, not to identify them.
std::string mask_user(std::string_view user);

}  // namespace auction::gateway
