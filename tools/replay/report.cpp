#include "report.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "auctionctl/values.h"
#include "text_format.h"

namespace auction::replay {
namespace {

using auctionctl::iso_utc;
using auctionctl::money;

class Collector {
 public:
  Collector(const LotId& lot, LotReport& report) : lot_(lot), r_(report) {}

  void on_step(const Step& step) {
    // A Restart's time minus the command before it is the server's downtime (SPEC §3's outage).
    const bool open = r_.opened_at_ms && !r_.close;
    if (open && std::holds_alternative<Restart>(step.command.body) && last_ts_ms_ != 0) {
      r_.downtime.push_back(Interval{last_ts_ms_, step.command.ts_ms});
    }
    last_ts_ms_ = step.command.ts_ms;
    for (const Event& event : step.events)
      std::visit([&](const auto& body) { on(event, body, step.engine); }, event.body);
  }
  // The figures that follow from the bids as a whole, once the walk is over.
  void finish() {
    std::set<UserId> bidders;
    for (const ReportBid& bid : r_.bids)
      bidders.insert(bid.bidder);
    r_.distinct_bidders = bidders.size();
    if (!r_.bids.empty()) r_.first_to_last_bid_ms = r_.bids.back().ts_ms - r_.bids.front().ts_ms;
    if (paused_since_ms_) {  // still paused at the end of the walk
      r_.paused.push_back(Interval{*paused_since_ms_, std::max(*paused_since_ms_, last_ts_ms_)});
    }
  }
  bool seen() const { return seen_; }
  bool closed() const { return r_.close.has_value(); }

 private:
  void on(const Event&, const LotConfigured& e, const Engine&) {
    if (e.config.id != lot_) return;
    seen_ = true;
    r_.config = e.config;
  }
  void on(const Event& event, const PhaseChanged& e, const Engine&) {
    if (e.lot != lot_) return;
    const bool bidding = e.phase == Phase::timed || e.phase == Phase::extension;
    if (bidding && !r_.opened_at_ms)
      r_.opened_at_ms = std::min(r_.config.starts_at_ms, event.ts_ms);
    if (e.phase == Phase::timed && e.deadline_ms) timed_deadline_ms_ = e.deadline_ms;
    if (e.phase == Phase::paused && !paused_since_ms_) paused_since_ms_ = event.ts_ms;
    if (e.phase != Phase::paused && paused_since_ms_) {
      r_.paused.push_back(Interval{*paused_since_ms_, event.ts_ms});
      paused_since_ms_.reset();
    }
    // Extension-only lots have no timed phase to end.
    if (e.phase == Phase::extension && timed_deadline_ms_ && !r_.timed_end_ms) {
      r_.timed_end_ms = std::min(*timed_deadline_ms_, event.ts_ms);
    }
    r_.phase = e.phase;
  }
  void on(const Event&, const LotClosed& e, const Engine&) {
    if (e.lot != lot_) return;
    seen_ = true;
    r_.close = e;
    if (!r_.timed_end_ms && timed_deadline_ms_) r_.timed_end_ms = e.closed_at_ms;
    r_.phase = e.outcome == Outcome::cancelled ? Phase::cancelled : Phase::closed;
  }
  void on(const Event& event, const BidAccepted& e, const Engine& engine) {
    if (e.lot != lot_) return;
    add_bid(event, e.bidder, e.amount_minor, true, RejectCode::invalid_amount, engine);
    r_.bids.back().deadline_ms = e.deadline_ms;
    r_.final_price_minor = e.amount_minor;
    ++r_.accepted;
    r_.auto_bids += e.auto_bid;
    r_.priority_matches += e.priority_match;
    if (r_.bids.back().phase == Phase::extension) ++r_.extensions;
  }
  void on(const Event& event, const BidRejected& e, const Engine& engine) {
    if (e.lot != lot_) return;
    add_bid(event, e.bidder, e.amount_minor, false, e.code, engine);
  }
  void on(const Event&, const MaxBidAccepted& e, const Engine&) {
    if (e.lot == lot_) ++r_.max_bids;  // counted, never shown: a maximum is its bidder's
  }
  template <typename Other>
  void on(const Event&, const Other&, const Engine&) {}

  void add_bid(const Event& event, const UserId& bidder, AmountMinor amount, bool accepted,
               RejectCode code, const Engine& engine) {
    ReportBid bid{event.seq, event.ts_ms, bidder, amount, accepted, code};
    if (const LotState* state = engine.find_lot(lot_)) bid.phase = state->phase;
    if (bid.phase == Phase::extension) ++r_.bids_in_countdown;
    r_.bids.push_back(bid);
  }

  LotId lot_;
  LotReport& r_;
  bool seen_ = false;
  std::optional<TimeMs> timed_deadline_ms_;
  std::optional<TimeMs> paused_since_ms_;
  TimeMs last_ts_ms_ = 0;
};

std::string percent(double share) {
  char text[16];
  std::snprintf(text, sizeof(text), "%.1f%%", 100.0 * share);
  return text;
}

}  // namespace

std::string outcome_text(const LotReport& r) {
  if (!r.close) return std::string(phase_name(r.phase)) + " (not closed)";
  std::string text(outcome_name(r.close->outcome));
  if (r.close->outcome == Outcome::sold) text += " to " + std::string(r.close->winner.view());
  if (r.close->winner_priority_rank != 0) {
    text += " under a priority right (rank " + std::to_string(r.close->winner_priority_rank) + ")";
  }
  if (r.close->outcome == Outcome::unsold && r.close->price_minor != 0)
    text += " (reserve not met)";
  return text;
}

namespace {

std::string share_text(double share) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.4f", share);
  return text;
}

}  // namespace

Status build_lot_report(const DataDir& dir, const LotId& lot, Progress* progress,
                        LotReport& report) {
  report = {};
  Collector collector(lot, report);
  Engine engine(dir.limits);
  ReplayOptions options;
  options.use_snapshots = false;  // the lot's whole history is needed
  options.progress = progress;
  std::uint64_t applied = 0;
  const Status s = replay(
      dir, options,
      [&](const Step& step) {
        collector.on_step(step);
        return !collector.closed();
      },
      engine, applied);
  if (!s.is_ok()) return s;
  collector.finish();
  if (!collector.seen()) {
    return Status::error(Status::Code::not_found,
                         "lot " + std::string(lot.view()) + ": not in the journal");
  }
  return Status::ok();
}

std::string report_text(const LotReport& r) {
  const std::string currency(r.config.currency.view());
  const auto line = [](std::string_view name, const std::string& value) {
    std::string text(name);
    text.resize(std::max<std::size_t>(text.size(), 26), ' ');
    return text + value + "\n";
  };
  std::string text =
      line("lot", std::string(r.config.id.view()) + "  " + std::string(r.config.title.view()));
  text += line("outcome", outcome_text(r));
  text += line("opened", r.opened_at_ms ? iso_utc(*r.opened_at_ms) : "never");
  text += line("timed phase ended", r.timed_end_ms ? iso_utc(*r.timed_end_ms) : "-");
  text += line("closed", r.close ? iso_utc(r.close->closed_at_ms) : "-");
  text += line("bids", std::to_string(r.bids.size()));
  text += line("accepted", std::to_string(r.accepted));
  text += line("distinct bidders", std::to_string(r.distinct_bidders));
  text += line("extensions", std::to_string(r.extensions));
  text += line("maximum bids", std::to_string(r.max_bids) + " (" + std::to_string(r.auto_bids) +
                                   " automatic bids)");
  text += line("priority matches", std::to_string(r.priority_matches));
  text += line("start price", money(r.config.start_price_minor, currency));
  text += line("reserve", r.config.reserve_minor <= r.config.start_price_minor
                              ? "none above the start price"
                          : r.final_price_minor >= r.config.reserve_minor ? "met"
                                                                          : "not met");
  if (r.final_price_minor != 0) {
    const double ratio = static_cast<double>(r.final_price_minor) / r.config.start_price_minor;
    char times[32];
    std::snprintf(times, sizeof(times), " (%.2f× the start)", ratio);
    text += line("final price", money(r.final_price_minor, currency) + times);
  } else {
    text += line("final price", "-");
  }
  text += line("bids in final countdown",
               std::to_string(r.bids_in_countdown) + " (" + percent(r.countdown_share()) + ")");
  text += line("first to last bid",
               r.first_to_last_bid_ms ? auctionctl::elapsed_text(*r.first_to_last_bid_ms) : "-");
  return text;
}

std::string report_json(const LotReport& r) {
  std::string j =
      "{\"lot\":" + json_string(r.config.id.view()) +
      ",\"title\":" + json_string(r.config.title.view()) +
      ",\"currency\":" + json_string(r.config.currency.view()) +
      ",\"phase\":" + json_string(phase_name(r.phase)) +
      ",\"outcome\":" + (r.close ? json_string(outcome_name(r.close->outcome)) : "null") +
      ",\"winner\":" +
      (r.close && !r.close->winner.empty() ? json_string(r.close->winner.view()) : "null") +
      ",\"opened_at_ms\":" + json_or_null(r.opened_at_ms) +
      ",\"timed_end_ms\":" + json_or_null(r.timed_end_ms) +
      ",\"closed_at_ms\":" + (r.close ? std::to_string(r.close->closed_at_ms) : "null") +
      ",\"bids\":" + std::to_string(r.bids.size()) + ",\"accepted\":" + std::to_string(r.accepted) +
      ",\"distinct_bidders\":" + std::to_string(r.distinct_bidders) +
      ",\"extensions\":" + std::to_string(r.extensions) +
      ",\"max_bids\":" + std::to_string(r.max_bids) +
      ",\"auto_bids\":" + std::to_string(r.auto_bids) +
      ",\"priority_matches\":" + std::to_string(r.priority_matches) +
      ",\"start_price\":" + std::to_string(r.config.start_price_minor) + ",\"final_price\":" +
      (r.final_price_minor != 0 ? std::to_string(r.final_price_minor) : "null") +
      ",\"bids_in_countdown\":" + std::to_string(r.bids_in_countdown) +
      ",\"countdown_share\":" + share_text(r.countdown_share()) +
      ",\"first_to_last_bid_ms\":" + json_or_null(r.first_to_last_bid_ms) + "}";
  return j;
}

}  // namespace auction::replay
