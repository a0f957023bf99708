// Bids, maximum bids and priority matches: SPEC §4, §4.1, §4.2 and §4.3. See
// auction/engine/engine.h for the contract.
#include "auction/engine/assert.h"
#include "engine_impl.h"
#include "ladder.h"

namespace auction {

// The bid path's hint (engine.h): its lot's index slot, then the lot, loading ahead of its turn.
void Engine::prefetch(const CommandBody& body, Prefetch what) const {
  const LotId* lot = nullptr;
  if (const auto* bid = std::get_if<PlaceBid>(&body)) lot = &bid->lot;
  if (const auto* max = std::get_if<PlaceMaxBid>(&body)) lot = &max->lot;
  if (lot != nullptr) prefetch(*lot, what);
}

void Engine::prefetch(const LotId& lot, Prefetch what) const {
  const std::uint64_t hash = lot.hash();
  if (what == Prefetch::index) return impl_->lot_index.prefetch(hash);
  // The first slot with the hash's tag: almost always the lot (a guess is only a wasted load).
  const auto at = impl_->lot_index.find(hash, [](std::uint32_t) { return true; });
  if (!at) return;
  // A bid reads the lot's first three cache lines (LotState is 64-byte aligned).
  const char* const line = reinterpret_cast<const char*>(&impl_->lots[*at]);
  __builtin_prefetch(line);
  __builtin_prefetch(line + 64);
  __builtin_prefetch(line + 128);
}

void Engine::Impl::reject_bid(const LotId& lot_id, const UserId& bidder, AmountMinor amount_minor,
                              const LotState* lot, RejectCode code, Emitter& out) {
  out.emit(BidRejected{lot_id, bidder, amount_minor, code,
                       lot != nullptr ? lot->min_next_minor() : std::nullopt});
}

[[gnu::always_inline]] inline std::uint32_t Engine::Impl::biddable_lot(const LotId& lot_id,
                                                                       const UserId& bidder,
                                                                       AmountMinor amount_minor,
                                                                       bool max_bid, Emitter& out) {
  const auto found = find_lot(lot_id);
  const LotState* lot = found ? &lots[*found] : nullptr;
  const auto reject = [&](RejectCode code) {
    reject_bid(lot_id, bidder, amount_minor, lot, code, out);
    return kNoLot;
  };
  if (!is_valid_amount(amount_minor)) return reject(RejectCode::invalid_amount);
  if (lot == nullptr) return reject(RejectCode::unknown_lot);
  switch (lot->phase) {
    case Phase::scheduled:
      return reject(RejectCode::lot_not_open);
    case Phase::paused:
      return reject(RejectCode::lot_paused);
    case Phase::closed:
    case Phase::cancelled:
      return reject(RejectCode::lot_closed);
    case Phase::timed:
    case Phase::extension:
      break;
  }
  // advance() has closed every lot whose deadline fell; this keeps the rule local and explicit.
  if (now_ms >= lot->deadline_ms) return reject(RejectCode::lot_closed);
  if (max_bid && !allows_max_bids(lot->config)) return reject(RejectCode::max_bid_not_allowed);
  if (lot->config.deposit_minor != 0 && !find_qualification(*found, bidder)) {
    return reject(RejectCode::not_qualified);
  }
  return *found;
}

// These three run on every bid: inlined into each rule (callgrind: out of line, with
// biddable_lot, they cost a plain bid 57 of its 526 instructions; bench/RESULTS.md).
[[gnu::always_inline]] inline void Engine::Impl::restart_countdown(std::uint32_t lot) {
  LotState& state = lots[lot];
  // Only accepted bids move the countdown, and only in the extension phase. The new deadline is
  // almost always later than the old one, and then the timer heap is settled lazily (see
  // settle_top). Only after an outage grace longer than the extension can it be earlier (SPEC §3:
  // every accepted bid sets bid_time + extension); then the timer is moved at once.
  if (state.phase != Phase::extension) return;
  const TimeMs deadline_ms = capped_deadline(state, now_ms + state.config.extension_ms);
  if (deadline_ms < state.deadline_ms) timers.set(lot, deadline_ms);
  state.deadline_ms = deadline_ms;
}

[[gnu::always_inline]] inline void Engine::Impl::move_price(std::uint32_t lot, const UserId& bidder,
                                                            AmountMinor amount_minor,
                                                            BidSource source, AmountMinor max_minor,
                                                            Emitter& out) {
  LotState& state = lots[lot];
  state.price_minor = amount_minor;
  state.leader = bidder;
  state.bid_count += 1;
  state.seq = out.seq();
  restart_countdown(lot);  // every price change counts as an accepted bid (SPEC §4.2)
  out.emit(BidAccepted{state.config.id, bidder, amount_minor, state.deadline_ms,
                       next_price(state.config, amount_minor), state.bid_count,
                       source == BidSource::automatic, source == BidSource::priority_match,
                       max_minor});
}

void Engine::Impl::apply_reserve_rule(std::uint32_t lot, Emitter& out) {
  LotState& state = lots[lot];
  const AmountMinor reserve_minor = state.config.reserve_minor;
  if (state.leader_max_minor < reserve_minor || state.price_minor >= reserve_minor) return;
  const AmountMinor at_reserve =
      detail::lowest_rung_from(state.config, state.price_minor, reserve_minor);
  const AmountMinor price_minor =
      at_reserve <= state.leader_max_minor
          ? at_reserve
          : detail::reach(state.config, state.price_minor, state.leader_max_minor);
  if (price_minor > state.price_minor) {
    move_price(lot, state.leader, price_minor, BidSource::automatic, state.leader_max_minor, out);
  }
}

void Engine::Impl::handle(const PlaceBid& bid, Emitter& out) {
  const std::uint32_t at = biddable_lot(bid.lot, bid.bidder, bid.amount_minor, false, out);
  if (at == kNoLot) return;
  LotState& lot = lots[at];
  if (lot.leader == bid.bidder) {
    return reject_bid(bid.lot, bid.bidder, bid.amount_minor, &lot, RejectCode::already_leading,
                      out);
  }
  const LotConfig& config = lot.config;
  const bool first = lot.price_minor == 0;
  // Only a bid at the price itself can be a match: most bids never read the grants' line.
  if (bid.amount_minor == lot.price_minor && !first && !config.priority.empty()) {
    if (!may_match(lot, bid.bidder)) {
      return reject_bid(bid.lot, bid.bidder, bid.amount_minor, &lot, RejectCode::below_minimum,
                        out);
    }
    lot.leader_max_minor = bid.amount_minor;
    return move_price(at, bid.bidder, bid.amount_minor, BidSource::priority_match, bid.amount_minor,
                      out);
  }
  const AmountMinor base_minor = first ? config.start_price_minor : lot.price_minor;
  const AmountMinor step_minor = increment_at(config, base_minor);
  const AmountMinor minimum_minor = first ? base_minor : base_minor + step_minor;
  if (bid.amount_minor < minimum_minor) {
    return reject_bid(bid.lot, bid.bidder, bid.amount_minor, &lot, RejectCode::below_minimum, out);
  }
  // Most bids are exactly the next raise; the division is for the others.
  const AmountMinor raise_minor = bid.amount_minor - base_minor;
  if (raise_minor != step_minor && raise_minor % step_minor != 0) {
    return reject_bid(bid.lot, bid.bidder, bid.amount_minor, &lot,
                      RejectCode::not_increment_multiple, out);
  }
  if (!first && lot.leader_max_minor >= bid.amount_minor) {
    // The leader's maximum answers at once (SPEC §4.2): the bid stands, the leader stays.
    const UserId leader = lot.leader;
    const AmountMinor defended_minor = next_price(config, bid.amount_minor) <= lot.leader_max_minor
                                           ? next_price(config, bid.amount_minor)
                                           : bid.amount_minor;
    move_price(at, bid.bidder, bid.amount_minor, BidSource::plain, bid.amount_minor, out);
    move_price(at, leader, defended_minor, BidSource::automatic, lot.leader_max_minor, out);
    return apply_reserve_rule(at, out);
  }
  lot.leader_max_minor = bid.amount_minor;
  move_price(at, bid.bidder, bid.amount_minor, BidSource::plain, bid.amount_minor, out);
}

bool Engine::Impl::may_match(const LotState& lot, const UserId& bidder) const {
  // A match needs a right, and a leader without one of an equal or better (lower) rank; between
  // equal ranks the earlier bid stays in the lead.
  const std::uint32_t rank = priority_rank(lot.config, bidder);
  if (rank == 0) return false;
  const std::uint32_t leader_rank = priority_rank(lot.config, lot.leader);
  return leader_rank == 0 || leader_rank > rank;
}

void Engine::Impl::handle(const PlaceMaxBid& bid, Emitter& out) {
  const std::uint32_t at = biddable_lot(bid.lot, bid.bidder, bid.max_minor, true, out);
  if (at == kNoLot) return;
  LotState& lot = lots[at];
  const LotConfig& config = lot.config;
  const auto reject = [&](RejectCode code) {
    reject_bid(bid.lot, bid.bidder, bid.max_minor, &lot, code, out);
  };
  if (lot.leader == bid.bidder) {
    // The leader raises its maximum: the price moves only for the reserve.
    if (bid.max_minor <= lot.leader_max_minor) return reject(RejectCode::not_above_own_max);
    lot.leader_max_minor = bid.max_minor;
    lot.seq = out.seq();
    out.emit(MaxBidAccepted{bid.lot, bid.bidder, bid.max_minor});
    return apply_reserve_rule(at, out);
  }
  const bool first = lot.price_minor == 0;
  const AmountMinor price_minor = lot.price_minor;
  if (bid.max_minor < (first ? config.start_price_minor : next_price(config, price_minor))) {
    return reject(RejectCode::below_minimum);
  }
  out.emit(MaxBidAccepted{bid.lot, bid.bidder, bid.max_minor});
  if (first) {
    lot.leader_max_minor = bid.max_minor;
    move_price(at, bid.bidder, config.start_price_minor, BidSource::automatic, bid.max_minor, out);
    return apply_reserve_rule(at, out);
  }
  const UserId leader = lot.leader;
  const AmountMinor challenger_reach = detail::reach(config, price_minor, bid.max_minor);
  const AmountMinor leader_reach = detail::reach(config, price_minor, lot.leader_max_minor);
  if (challenger_reach > leader_reach) {
    if (leader_reach > price_minor) {
      move_price(at, leader, leader_reach, BidSource::automatic, lot.leader_max_minor, out);
    }
    lot.leader_max_minor = bid.max_minor;
    move_price(at, bid.bidder, next_price(config, leader_reach), BidSource::automatic,
               bid.max_minor, out);
  } else {
    // A lower reach moves the leader one rung above it; an equal one leaves the earlier maximum
    // in the lead at that rung (the challenger's bid, then the leader's at the same amount).
    move_price(at, bid.bidder, challenger_reach, BidSource::automatic, bid.max_minor, out);
    move_price(
        at, leader,
        challenger_reach < leader_reach ? next_price(config, challenger_reach) : challenger_reach,
        BidSource::automatic, lot.leader_max_minor, out);
  }
  apply_reserve_rule(at, out);
}

}  // namespace auction
