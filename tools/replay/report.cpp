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
};

std::string percent(double share) {
  char text[16];
  std::snprintf(text, sizeof(text), "%.1f%%", 100.0 * share);
  return text;
}

std::string xml_escape(std::string_view value) {
  std::string out;
  for (const char c : value) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

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

// The chart's coordinate system: time → x, amount → y.
struct Frame {
  static constexpr double kWidth = 960, kHeight = 420, kLeft = 90, kRight = 20, kTop = 40,
                          kBottom = 50;
  TimeMs t0, t1;
  AmountMinor y_max;
  double x(TimeMs t) const {
    const double span = static_cast<double>(std::max<TimeMs>(t1 - t0, 1));
    return kLeft + (kWidth - kLeft - kRight) * static_cast<double>(t - t0) / span;
  }
  double y(AmountMinor amount) const {
    return kHeight - kBottom -
           (kHeight - kTop - kBottom) * static_cast<double>(amount) / static_cast<double>(y_max);
  }
};

std::string share_text(double share) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.4f", share);
  return text;
}

std::string fixed(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f", value);
  return text;
}

Frame frame_of(const LotReport& r) {
  TimeMs t0 = r.opened_at_ms.value_or(r.config.starts_at_ms);
  TimeMs t1 = r.close ? r.close->closed_at_ms : t0;
  for (const ReportBid& bid : r.bids) {
    t0 = std::min(t0, bid.ts_ms);
    t1 = std::max({t1, bid.ts_ms, bid.deadline_ms});
  }
  if (t1 <= t0) t1 = t0 + 1000;
  const AmountMinor top = std::max(r.final_price_minor, r.config.start_price_minor);
  return Frame{t0, t1, std::max<AmountMinor>(top + top / 10, 1)};
}

void svg_axes(std::string& svg, const Frame& f, const LotReport& r) {
  const std::string currency(r.config.currency.view());
  svg += "<g id=\"axes\" stroke=\"#444\" font-size=\"12\" font-family=\"sans-serif\">\n";
  svg += "<line x1=\"" + fixed(Frame::kLeft) + "\" y1=\"" + fixed(f.y(0)) + "\" x2=\"" +
         fixed(Frame::kWidth - Frame::kRight) + "\" y2=\"" + fixed(f.y(0)) + "\"/>\n";
  svg += "<line x1=\"" + fixed(Frame::kLeft) + "\" y1=\"" + fixed(Frame::kTop) + "\" x2=\"" +
         fixed(Frame::kLeft) + "\" y2=\"" + fixed(f.y(0)) + "\"/>\n";
  for (int i = 0; i <= 4; ++i) {
    const AmountMinor amount = f.y_max * i / 4;
    svg += "<text x=\"" + fixed(Frame::kLeft - 6) + "\" y=\"" + fixed(f.y(amount) + 4) +
           "\" text-anchor=\"end\" stroke=\"none\">" + xml_escape(money(amount, currency)) +
           "</text>\n";
    const TimeMs t = f.t0 + (f.t1 - f.t0) * i / 4;
    svg += "<text x=\"" + fixed(f.x(t)) + "\" y=\"" + fixed(f.y(0) + 18) +
           "\" text-anchor=\"middle\" stroke=\"none\">+" + fixed((t - f.t0) / 1000.0) +
           " s</text>\n";
  }
  svg += "<text x=\"" + fixed(Frame::kLeft) + "\" y=\"" + fixed(Frame::kHeight - 8) +
         "\" stroke=\"none\">time since " + xml_escape(iso_utc(f.t0)) + "</text>\n</g>\n";
}

void svg_series(std::string& svg, const Frame& f, const LotReport& r) {
  if (r.opened_at_ms && r.timed_end_ms) {
    svg += "<rect id=\"timed-phase\" x=\"" + fixed(f.x(*r.opened_at_ms)) + "\" y=\"" +
           fixed(Frame::kTop) + "\" width=\"" + fixed(f.x(*r.timed_end_ms) - f.x(*r.opened_at_ms)) +
           "\" height=\"" + fixed(f.y(0) - Frame::kTop) +
           "\" fill=\"#dbe9f6\"><title>timed phase</title></rect>\n";
  }
  svg += "<g id=\"extensions\" stroke=\"#e08a00\" stroke-dasharray=\"3,3\">\n";
  for (const ReportBid& bid : r.bids) {
    if (!bid.accepted || bid.phase != Phase::extension) continue;
    svg += "<line class=\"extension\" x1=\"" + fixed(f.x(bid.ts_ms)) + "\" y1=\"" +
           fixed(Frame::kTop) + "\" x2=\"" + fixed(f.x(bid.ts_ms)) + "\" y2=\"" + fixed(f.y(0)) +
           "\"/>\n";
  }
  svg +=
      "</g>\n<polyline id=\"price\" fill=\"none\" stroke=\"#1f5fa8\" stroke-width=\"2\" points=\"";
  std::optional<AmountMinor> price;
  for (const ReportBid& bid : r.bids) {
    if (!bid.accepted) continue;
    if (price) svg += fixed(f.x(bid.ts_ms)) + "," + fixed(f.y(*price)) + " ";
    svg += fixed(f.x(bid.ts_ms)) + "," + fixed(f.y(bid.amount_minor)) + " ";
    price = bid.amount_minor;
  }
  if (price) svg += fixed(f.x(f.t1)) + "," + fixed(f.y(*price));
  svg += "\"/>\n<g id=\"bids\" fill=\"#1f5fa8\">\n";
  for (const ReportBid& bid : r.bids) {
    if (!bid.accepted) continue;
    svg += "<circle cx=\"" + fixed(f.x(bid.ts_ms)) + "\" cy=\"" + fixed(f.y(bid.amount_minor)) +
           "\" r=\"2.5\"/>\n";
  }
  svg += "</g>\n";
  if (r.close) {
    svg += "<line id=\"close\" x1=\"" + fixed(f.x(r.close->closed_at_ms)) + "\" y1=\"" +
           fixed(Frame::kTop) + "\" x2=\"" + fixed(f.x(r.close->closed_at_ms)) + "\" y2=\"" +
           fixed(f.y(0)) + "\" stroke=\"#b00020\" stroke-width=\"2\"><title>closed " +
           xml_escape(outcome_text(r)) + "</title></line>\n";
  }
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

std::string report_svg(const LotReport& r) {
  const Frame f = frame_of(r);
  std::string svg =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"960\" height=\"420\" "
      "viewBox=\"0 0 960 420\">\n<title>" +
      xml_escape(std::string(r.config.id.view()) + ": " + std::string(r.config.title.view())) +
      "</title>\n<rect width=\"960\" height=\"420\" fill=\"white\"/>\n"
      "<text x=\"90\" y=\"24\" font-size=\"15\" font-family=\"sans-serif\">" +
      xml_escape(std::string(r.config.title.view()) + " — " + outcome_text(r)) + "</text>\n";
  svg_series(svg, f, r);
  svg_axes(svg, f, r);
  return svg + "</svg>\n";
}

}  // namespace auction::replay
