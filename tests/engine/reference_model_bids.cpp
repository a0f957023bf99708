// The reference model's bids: SPEC §4, §4.1 and §4.2 by the plainest means. The increment is
// looked up band by band, and every reach is found by walking the ladder one rung at a time (no
// closed form, no band arithmetic): slow, and obviously what the SPEC says.
#include "reference_model.h"

namespace auction::testing {

AmountMinor ReferenceModel::Lot::inc(AmountMinor x) const {
  AmountMinor step = config.increment_minor;
  for (const IncrementBand& band : config.increments) {
    if (band.from_minor <= x) step = band.increment_minor;
  }
  return step;
}

std::uint32_t ReferenceModel::Lot::rank(std::string_view bidder) const {
  for (const PriorityGrant& grant : config.priority) {
    if (grant.bidder.view() == bidder) return grant.rank;
  }
  return 0;
}

AmountMinor ReferenceModel::Lot::reach(AmountMinor from, AmountMinor limit) const {
  AmountMinor rung = from;
  while (next(rung) <= limit)
    rung = next(rung);
  return rung;
}

std::optional<RejectCode> ReferenceModel::bid_problem(const Lot* lot, const LotId& id,
                                                      const UserId& bidder, AmountMinor amount,
                                                      bool max_bid) const {
  if (amount < 1 || amount > kMaxAmountMinor) return RejectCode::invalid_amount;
  if (lot == nullptr) return RejectCode::unknown_lot;
  if (lot->phase == Phase::scheduled) return RejectCode::lot_not_open;
  if (lot->phase == Phase::paused) return RejectCode::lot_paused;
  if (lot->over() || now_ >= lot->deadline) return RejectCode::lot_closed;
  if (max_bid && (!lot->config.max_bids || !lot->config.priority.empty())) {
    return RejectCode::max_bid_not_allowed;
  }
  if (lot->config.deposit_minor > 0 &&
      !qualified_.contains({std::string(id.view()), std::string(bidder.view())})) {
    return RejectCode::not_qualified;
  }
  return std::nullopt;
}

void ReferenceModel::move(Lot& lot, const UserId& bidder, AmountMinor amount, bool auto_bid,
                          AmountMinor max, bool match) {
  lot.price = amount;
  lot.leader = std::string(bidder.view());
  lot.bids += 1;
  lot.seq = seq_;
  if (lot.phase == Phase::extension) lot.deadline = cap_at(lot.cap, now_ + lot.config.extension_ms);
  emit(BidAccepted{lot.config.id, bidder, amount, lot.deadline, lot.next(amount), lot.bids,
                   auto_bid, match, max});
}

void ReferenceModel::reserve_rule(Lot& lot) {
  const AmountMinor reserve = lot.config.reserve_minor;
  if (lot.max < reserve || lot.price >= reserve) return;
  AmountMinor rung = lot.price;
  while (rung < reserve)
    rung = lot.next(rung);
  const AmountMinor target = rung <= lot.max ? rung : lot.reach(lot.price, lot.max);
  if (target > lot.price) {
    ++coverage.reserve_jump;
    move(lot, *UserId::parse(lot.leader), target, true, lot.max);
  }
}

void ReferenceModel::on(const PlaceBid& c) {
  Lot* lot = find_mutable(c.lot.view());
  auto reject = [&](RejectCode code) {
    emit(BidRejected{c.lot, c.bidder, c.amount_minor, code,
                     lot != nullptr ? lot->min_next() : std::nullopt});
  };
  if (const auto code = bid_problem(lot, c.lot, c.bidder, c.amount_minor, false)) {
    return reject(*code);
  }
  if (lot->leader == c.bidder.view()) return reject(RejectCode::already_leading);
  if (lot->price != 0 && c.amount_minor == lot->price && lot->rank(c.bidder.view()) != 0) {
    // SPEC §4.3: a priority purchaser matches the price unless the leader's rank is as good.
    const std::uint32_t mine = lot->rank(c.bidder.view());
    const std::uint32_t leaders = lot->rank(lot->leader);
    if (leaders != 0 && leaders <= mine) {
      ++coverage.match_refused;
      return reject(RejectCode::below_minimum);
    }
    ++(leaders == 0 ? coverage.match : coverage.match_over_rank);
    lot->max = c.amount_minor;
    return move(*lot, c.bidder, c.amount_minor, false, c.amount_minor, true);
  }
  const AmountMinor reference = lot->price == 0 ? lot->config.start_price_minor : lot->price;
  const AmountMinor minimum = lot->price == 0 ? reference : lot->next(reference);
  if (c.amount_minor < minimum) return reject(RejectCode::below_minimum);
  if ((c.amount_minor - reference) % lot->inc(reference) != 0) {
    return reject(RejectCode::not_increment_multiple);
  }
  if (lot->price != 0 && lot->max >= c.amount_minor) {
    // The leader's maximum holds: the bid stands, then the leader's automatic answer.
    ++coverage.plain_defended;
    const UserId leader = *UserId::parse(lot->leader);
    const AmountMinor answer =
        lot->next(c.amount_minor) <= lot->max ? lot->next(c.amount_minor) : c.amount_minor;
    move(*lot, c.bidder, c.amount_minor, false, c.amount_minor);
    move(*lot, leader, answer, true, lot->max);
    return reserve_rule(*lot);
  }
  lot->max = c.amount_minor;
  move(*lot, c.bidder, c.amount_minor, false, c.amount_minor);
}

void ReferenceModel::on(const PlaceMaxBid& c) {
  Lot* lot = find_mutable(c.lot.view());
  auto reject = [&](RejectCode code) {
    emit(BidRejected{c.lot, c.bidder, c.max_minor, code,
                     lot != nullptr ? lot->min_next() : std::nullopt});
  };
  if (const auto code = bid_problem(lot, c.lot, c.bidder, c.max_minor, true)) {
    return reject(*code);
  }
  if (lot->leader == c.bidder.view()) {
    if (c.max_minor <= lot->max) return reject(RejectCode::not_above_own_max);
    ++coverage.raised_max;
    lot->max = c.max_minor;
    lot->seq = seq_;
    emit(MaxBidAccepted{c.lot, c.bidder, c.max_minor});
    return reserve_rule(*lot);
  }
  // No admissible bid is left (the next rung is past 10^15): no maximum can be admissible.
  const auto lowest = lot->min_next();
  if (!lowest || c.max_minor < *lowest) return reject(RejectCode::below_minimum);
  emit(MaxBidAccepted{c.lot, c.bidder, c.max_minor});
  if (lot->price == 0) {
    ++coverage.first_max;
    lot->max = c.max_minor;
    move(*lot, c.bidder, lot->config.start_price_minor, true, c.max_minor);
    return reserve_rule(*lot);
  }
  const UserId leader = *UserId::parse(lot->leader);
  const AmountMinor price = lot->price;
  const AmountMinor challenger = lot->reach(price, c.max_minor);
  const AmountMinor defender = lot->reach(price, lot->max);
  if (challenger > defender) {
    ++coverage.max_takes_lead;
    if (defender > price) move(*lot, leader, defender, true, lot->max);
    lot->max = c.max_minor;
    move(*lot, c.bidder, lot->next(defender), true, c.max_minor);
  } else if (challenger < defender) {
    ++coverage.max_falls_short;
    move(*lot, c.bidder, challenger, true, c.max_minor);
    move(*lot, leader, lot->next(challenger), true, lot->max);
  } else {
    ++coverage.tie;
    move(*lot, c.bidder, challenger, true, c.max_minor);
    move(*lot, leader, challenger, true, lot->max);
  }
  reserve_rule(*lot);
}

}  // namespace auction::testing
