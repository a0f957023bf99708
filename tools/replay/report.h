// One lot's history as figures and a chart, for analysts (SPEC §9).
//
// Contract: build_lot_report() replays the journal until the lot's close (or the journal's end)
// and collects the lot's configuration, every bid with its answer and phase, its phase changes
// and its close. report_svg() (report_chart.cpp) draws price over time and marks the timed
// phase, pauses and server downtime, each extension (an accepted bid in the extension phase,
// which reset the countdown), rejected bids, the start price, the reserve and the close; the SVG
// is standalone, well-formed XML with the series as ids: timed-phase, paused, downtime, price,
// bids, rejected, extensions, start-price, reserve, legend, close.
// Threading: one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auction/engine/engine.h"
#include "data_dir.h"
#include "replay.h"

namespace auction::replay {

struct ReportBid {
  Seq seq = 0;
  TimeMs ts_ms = 0;
  UserId bidder;
  AmountMinor amount_minor = 0;
  bool accepted = false;
  RejectCode code = RejectCode::invalid_amount;
  Phase phase = Phase::scheduled;  // the lot's phase when it was placed (after it, if accepted)
  TimeMs deadline_ms = 0;          // accepted: the deadline it set
};

// A span of time on the chart: [from_ms, to_ms).
struct Interval {
  TimeMs from_ms = 0;
  TimeMs to_ms = 0;
};

struct LotReport {
  LotConfig config;
  Phase phase = Phase::scheduled;  // where the lot stands at the end of the walk
  std::optional<TimeMs> opened_at_ms;
  std::optional<TimeMs> timed_end_ms;  // when the timed phase ended (extension began or close)
  std::optional<LotClosed> close;
  std::vector<ReportBid> bids;
  std::vector<Interval> paused;    // paused by the auctioneer (the countdown frozen)
  std::vector<Interval> downtime;  // the server was down while the lot was open (SPEC §3)

  // Figures.
  std::uint64_t accepted = 0;
  std::uint64_t distinct_bidders = 0;   // everyone who bid, accepted or not
  std::uint64_t extensions = 0;         // accepted bids in the extension phase
  std::uint64_t auto_bids = 0;          // accepted bids the engine made for a maximum
  std::uint64_t priority_matches = 0;   // accepted bids that matched the price (SPEC §4.3)
  std::uint64_t max_bids = 0;           // maximum bids accepted
  std::uint64_t bids_in_countdown = 0;  // bids placed in the extension phase
  AmountMinor final_price_minor = 0;    // highest accepted bid; 0 when none
  std::optional<DurationMs> first_to_last_bid_ms;
  double countdown_share() const {
    return bids.empty() ? 0.0 : static_cast<double>(bids_in_countdown) / bids.size();
  }
};

// An error when the journal never names the lot.
Status build_lot_report(const DataDir& dir, const LotId& lot, Progress* progress,
                        LotReport& report);

std::string report_text(const LotReport& report);
// "sold to alice", "unsold (reserve not met)", "timed (not closed)", ...
std::string outcome_text(const LotReport& report);
std::string report_json(const LotReport& report);
std::string report_svg(const LotReport& report);

}  // namespace auction::replay
