// A small, obviously-correct model of SPEC §2–5, written apart from the engine to check it.
//
// It favours plainness over speed: lots live in a vector searched linearly, the clock is a scan
// over all lots for the earliest due one, qualifications are a std::set of strings. It speaks the
// engine's public command and event types so that the two can be compared event by event.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "auction/engine/command.h"
#include "auction/engine/event.h"
#include "auction/engine/limits.h"

namespace auction::testing {

// A deadline held to a lot's hard cap (0 = none).
inline TimeMs cap_at(TimeMs cap, TimeMs t) {
  return cap != 0 && t > cap ? cap : t;
}

class ReferenceModel {
 public:
  struct Lot {
    LotConfig config;
    Phase phase = Phase::scheduled;
    Phase resume_phase = Phase::timed;
    AmountMinor price = 0;
    AmountMinor max = 0;  // the leader's maximum (its amount for a plain bid)
    std::string leader;
    TimeMs deadline = 0;
    DurationMs remaining = 0;
    TimeMs cap = 0;
    std::uint32_t bids = 0;
    Seq seq = 0;
    TimeMs closed_at = 0;
    Outcome outcome = Outcome::unsold;

    bool over() const { return phase == Phase::closed || phase == Phase::cancelled; }
    AmountMinor inc(AmountMinor x) const;
    AmountMinor next(AmountMinor x) const { return x + inc(x); }
    AmountMinor reach(AmountMinor from, AmountMinor limit) const;
    std::uint32_t rank(std::string_view bidder) const;  // its priority right; 0 = none
    std::optional<AmountMinor> min_next() const;
  };

  // How often each case of SPEC §4.2 came up (the property test's coverage guards).
  struct Coverage {
    std::size_t max_takes_lead = 0, max_falls_short = 0, tie = 0, plain_defended = 0;
    std::size_t raised_max = 0, reserve_jump = 0, first_max = 0;
    // SPEC §4.3: matches of a leader without a right, of a worse-ranked one; refused matches.
    std::size_t match = 0, match_over_rank = 0, match_refused = 0;
  };

  explicit ReferenceModel(EngineLimits limits) : limits_(limits) {}
  Coverage coverage;

  std::vector<Event> apply(const Command& command);
  const Lot* find(std::string_view id) const;
  const std::vector<Lot>& lots() const { return lots_; }

 private:
  Lot* find_mutable(std::string_view id);
  std::optional<TimeMs> due(const Lot& lot) const;
  void settle(bool outage);
  void fire(Lot& lot, TimeMs at, bool outage);
  void close(Lot& lot, TimeMs at);
  void phase_event(Lot& lot);
  std::optional<std::string_view> config_problem(const LotConfig& c) const;  // the field
  static std::optional<std::string_view> grant_problem(const LotConfig& c);
  void admin_reject(const LotId& lot, CommandError error, std::string_view field = {});

  void on(const CreateLot& c);
  void on(const EditLot& c);
  void on(const QualifyBidder& c);
  void on(const GrantPriority& c);
  void on(const PlaceBid& c);
  void on(const PlaceMaxBid& c);
  // reference_model_bids.cpp: SPEC §4.1–4.2 by the plainest means (the ladder walked rung by rung).
  std::optional<RejectCode> bid_problem(const Lot* lot, const LotId& id, const UserId& bidder,
                                        AmountMinor amount, bool max_bid) const;
  void move(Lot& lot, const UserId& bidder, AmountMinor amount, bool auto_bid, AmountMinor max,
            bool match = false);
  void reserve_rule(Lot& lot);
  void on(const PauseLot& c);
  void on(const ResumeLot& c);
  void on(const CancelLot& c);
  void on(const Tick&) {}
  void on(const Restart&) {}
  void on(const ExternalInput&) {}
  void on(const CreateLots& c);
  void create(const LotConfig& c);

  template <typename Body>
  void emit(Body body) {
    out_.push_back(Event{seq_, now_, EventBody{std::move(body)}});
  }

  EngineLimits limits_;
  std::vector<Lot> lots_;
  std::set<std::pair<std::string, std::string>> qualified_;  // (lot, bidder)
  TimeMs now_ = 0;
  Seq seq_ = 0;
  std::vector<Event> out_;
};

}  // namespace auction::testing
