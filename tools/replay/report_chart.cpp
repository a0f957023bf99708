// The report's chart (SPEC §9): price over time as a standalone SVG. See report.h.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "auctionctl/values.h"
#include "report.h"

namespace auction::replay {
namespace {

using auctionctl::money;

// One colour per bidder, in order of first bid; later bidders share the last one.
constexpr const char* kPalette[] = {"#1f5fa8", "#c2410c", "#15803d", "#7e22ce",
                                    "#b91c1c", "#0e7490", "#a16207", "#4b5563"};
constexpr std::size_t kColours = std::size(kPalette);

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

std::string fixed(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f", value);
  return text;
}

// 1, 2 or 5 × 10^k: the tick step for about four intervals over `span`.
AmountMinor nice_step(AmountMinor span) {
  const double raw = std::max(1.0, static_cast<double>(span) / 4.0);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double factor : {1.0, 2.0, 5.0, 10.0}) {
    if (factor * power >= raw) return std::max<AmountMinor>(1, std::llround(factor * power));
  }
  return std::llround(10.0 * power);
}

// The chart's coordinate system: time → x, amount → y (from just below the lowest price shown).
struct Frame {
  static constexpr double kWidth = 960, kHeight = 420, kLeft = 90, kRight = 150, kTop = 40,
                          kBottom = 50;
  TimeMs t0, t1;
  AmountMinor y_min, y_max, y_step;
  double x(TimeMs t) const {
    const double span = static_cast<double>(std::max<TimeMs>(t1 - t0, 1));
    return kLeft + (kWidth - kLeft - kRight) * static_cast<double>(t - t0) / span;
  }
  double y(AmountMinor amount) const {
    return kHeight - kBottom -
           (kHeight - kTop - kBottom) * static_cast<double>(amount - y_min) /
               static_cast<double>(std::max<AmountMinor>(y_max - y_min, 1));
  }
  double bottom() const { return y(y_min); }
};

Frame frame_of(const LotReport& r) {
  TimeMs t0 = r.opened_at_ms.value_or(r.config.starts_at_ms);
  TimeMs t1 = r.close ? r.close->closed_at_ms : t0;
  AmountMinor low = r.config.start_price_minor, high = r.config.start_price_minor;
  for (const ReportBid& bid : r.bids) {
    t0 = std::min(t0, bid.ts_ms);
    t1 = std::max({t1, bid.ts_ms, bid.deadline_ms});
    if (bid.accepted) high = std::max(high, bid.amount_minor);
  }
  for (const auto& spans : {r.paused, r.downtime}) {
    for (const Interval& span : spans)
      t1 = std::max(t1, span.to_ms);
  }
  if (t1 <= t0) t1 = t0 + 1000;
  high = std::max(high, r.config.reserve_minor);
  const AmountMinor step = nice_step(std::max<AmountMinor>(high - low, 1));
  const AmountMinor y_min = std::max<AmountMinor>(0, (low - step / 2) / step * step);
  const AmountMinor y_max = ((high + step / 2) / step + 1) * step;
  return Frame{t0, t1, y_min, y_max, step};
}

void svg_axes(std::string& svg, const Frame& f, const LotReport& r) {
  const std::string currency(r.config.currency.view());
  svg += "<g id=\"axes\" stroke=\"#444\" font-size=\"12\" font-family=\"sans-serif\">\n";
  svg += "<line x1=\"" + fixed(Frame::kLeft) + "\" y1=\"" + fixed(f.bottom()) + "\" x2=\"" +
         fixed(Frame::kWidth - Frame::kRight) + "\" y2=\"" + fixed(f.bottom()) + "\"/>\n";
  svg += "<line x1=\"" + fixed(Frame::kLeft) + "\" y1=\"" + fixed(Frame::kTop) + "\" x2=\"" +
         fixed(Frame::kLeft) + "\" y2=\"" + fixed(f.bottom()) + "\"/>\n";
  for (AmountMinor amount = f.y_min; amount <= f.y_max; amount += f.y_step) {
    svg += "<text class=\"y-tick\" x=\"" + fixed(Frame::kLeft - 6) + "\" y=\"" +
           fixed(f.y(amount) + 4) + "\" text-anchor=\"end\" stroke=\"none\">" +
           xml_escape(money(amount, currency)) + "</text>\n";
  }
  for (int i = 0; i <= 4; ++i) {
    const TimeMs t = f.t0 + (f.t1 - f.t0) * i / 4;
    // The last label ends at the axis' end, inside the picture.
    svg += "<text class=\"x-tick\" x=\"" + fixed(f.x(t)) + "\" y=\"" + fixed(f.bottom() + 18) +
           "\" text-anchor=\"" +
           (i == 4   ? "end"
            : i == 0 ? "start"
                     : "middle") +
           "\" stroke=\"none\">+" + xml_escape(auctionctl::elapsed_text(t - f.t0)) + "</text>\n";
  }
  svg += "<text x=\"" + fixed(Frame::kLeft) + "\" y=\"" + fixed(Frame::kHeight - 8) +
         "\" stroke=\"none\">time since " + xml_escape(auctionctl::iso_utc(f.t0)) +
         "</text>\n</g>\n";
}

void svg_spans(std::string& svg, const Frame& f, const std::vector<Interval>& spans, const char* id,
               const char* fill, const char* title) {
  if (spans.empty()) return;
  svg += std::string("<g id=\"") + id + "\" fill=\"" + fill + "\">\n";
  for (const Interval& span : spans) {
    svg += "<rect x=\"" + fixed(f.x(span.from_ms)) + "\" y=\"" + fixed(Frame::kTop) +
           "\" width=\"" + fixed(std::max(1.0, f.x(span.to_ms) - f.x(span.from_ms))) +
           "\" height=\"" + fixed(f.bottom() - Frame::kTop) + "\"><title>" + title + " " +
           xml_escape(auctionctl::elapsed_text(span.to_ms - span.from_ms)) + "</title></rect>\n";
    svg += "<text x=\"" + fixed(f.x(span.from_ms) + 3) + "\" y=\"" + fixed(Frame::kTop + 12) +
           "\" font-size=\"11\" font-family=\"sans-serif\" fill=\"#4b5563\">" + title + "</text>\n";
  }
  svg += "</g>\n";
}

// A horizontal line across the chart at `amount`, labelled at its right end.
void svg_level(std::string& svg, const Frame& f, const char* id, AmountMinor amount,
               const std::string& label, const char* colour) {
  svg += std::string("<g id=\"") + id + "\" stroke=\"" + colour +
         "\" font-size=\"11\" font-family=\"sans-serif\">\n<line x1=\"" + fixed(Frame::kLeft) +
         "\" y1=\"" + fixed(f.y(amount)) + "\" x2=\"" + fixed(Frame::kWidth - Frame::kRight) +
         "\" y2=\"" + fixed(f.y(amount)) + "\" stroke-dasharray=\"6,4\"/>\n<text x=\"" +
         fixed(Frame::kWidth - Frame::kRight + 4) + "\" y=\"" + fixed(f.y(amount) + 4) +
         "\" stroke=\"none\" fill=\"" + colour + "\">" + xml_escape(label) + "</text>\n</g>\n";
}

void svg_price(std::string& svg, const Frame& f, const LotReport& r) {
  svg += "<polyline id=\"price\" fill=\"none\" stroke=\"#1f2937\" stroke-width=\"2\" points=\"";
  std::optional<AmountMinor> price;
  for (const ReportBid& bid : r.bids) {
    if (!bid.accepted) continue;
    if (price) svg += fixed(f.x(bid.ts_ms)) + "," + fixed(f.y(*price)) + " ";
    svg += fixed(f.x(bid.ts_ms)) + "," + fixed(f.y(bid.amount_minor)) + " ";
    price = bid.amount_minor;
  }
  if (price) svg += fixed(f.x(f.t1)) + "," + fixed(f.y(*price));
  svg += "\"/>\n";
}

// Accepted bids as dots in their bidder's colour, rejected ones as small grey crosses at the
// amount tried. The legend names bidders in full, as the exports do: the chart is for whoever
// holds the data directory, and masked names ("a***e") can collide.
void svg_bids(std::string& svg, const Frame& f, const LotReport& r) {
  std::map<UserId, std::size_t> colour_of;
  std::vector<UserId> order;
  for (const ReportBid& bid : r.bids) {
    if (bid.accepted && colour_of.emplace(bid.bidder, std::min(order.size(), kColours - 1)).second)
      order.push_back(bid.bidder);
  }
  svg += "<g id=\"bids\">\n";
  for (const ReportBid& bid : r.bids) {
    if (!bid.accepted) continue;
    svg += "<circle cx=\"" + fixed(f.x(bid.ts_ms)) + "\" cy=\"" + fixed(f.y(bid.amount_minor)) +
           "\" r=\"3\" fill=\"" + kPalette[colour_of[bid.bidder]] + "\"/>\n";
  }
  svg += "</g>\n<g id=\"rejected\" stroke=\"#9ca3af\" stroke-width=\"1\">\n";
  for (const ReportBid& bid : r.bids) {
    if (bid.accepted || bid.amount_minor < f.y_min || bid.amount_minor > f.y_max) continue;
    const double x = f.x(bid.ts_ms), y = f.y(bid.amount_minor);
    svg += "<path d=\"M" + fixed(x - 2) + " " + fixed(y - 2) + "L" + fixed(x + 2) + " " +
           fixed(y + 2) + "M" + fixed(x - 2) + " " + fixed(y + 2) + "L" + fixed(x + 2) + " " +
           fixed(y - 2) + "\"><title>rejected " + std::string(reject_code_name(bid.code)) +
           "</title></path>\n";
  }
  svg += "</g>\n<g id=\"legend\" font-size=\"11\" font-family=\"sans-serif\">\n";
  double y = Frame::kTop + 120;
  for (std::size_t i = 0; i < order.size() && i < kColours; ++i, y += 16) {
    const bool others = i == kColours - 1 && order.size() > kColours;
    const std::string name = others ? "others" : std::string(order[i].view());
    svg += "<circle cx=\"" + fixed(Frame::kWidth - Frame::kRight + 10) + "\" cy=\"" + fixed(y) +
           "\" r=\"4\" fill=\"" + kPalette[i] + "\"/><text x=\"" +
           fixed(Frame::kWidth - Frame::kRight + 18) + "\" y=\"" + fixed(y + 4) + "\">" +
           xml_escape(name) + "</text>\n";
  }
  svg += "</g>\n";
}

void svg_series(std::string& svg, const Frame& f, const LotReport& r) {
  if (r.opened_at_ms && r.timed_end_ms) {
    svg += "<rect id=\"timed-phase\" x=\"" + fixed(f.x(*r.opened_at_ms)) + "\" y=\"" +
           fixed(Frame::kTop) + "\" width=\"" + fixed(f.x(*r.timed_end_ms) - f.x(*r.opened_at_ms)) +
           "\" height=\"" + fixed(f.bottom() - Frame::kTop) +
           "\" fill=\"#dbe9f6\"><title>timed phase</title></rect>\n";
  }
  svg_spans(svg, f, r.paused, "paused", "#e5e7eb", "paused");
  svg_spans(svg, f, r.downtime, "downtime", "#fde2e2", "server down");
  svg += "<g id=\"extensions\" stroke=\"#e08a00\" stroke-dasharray=\"3,3\">\n";
  for (const ReportBid& bid : r.bids) {
    if (!bid.accepted || bid.phase != Phase::extension) continue;
    svg += "<line class=\"extension\" x1=\"" + fixed(f.x(bid.ts_ms)) + "\" y1=\"" +
           fixed(Frame::kTop) + "\" x2=\"" + fixed(f.x(bid.ts_ms)) + "\" y2=\"" +
           fixed(f.bottom()) + "\"/>\n";
  }
  svg += "</g>\n";
  const std::string currency(r.config.currency.view());
  svg_level(svg, f, "start-price", r.config.start_price_minor,
            "start " + money(r.config.start_price_minor, currency), "#6b7280");
  if (r.config.reserve_minor > r.config.start_price_minor) {
    svg_level(svg, f, "reserve", r.config.reserve_minor,
              "reserve " + money(r.config.reserve_minor, currency), "#b45309");
  }
  svg_price(svg, f, r);
  svg_bids(svg, f, r);
  if (r.close) {
    svg += "<line id=\"close\" x1=\"" + fixed(f.x(r.close->closed_at_ms)) + "\" y1=\"" +
           fixed(Frame::kTop) + "\" x2=\"" + fixed(f.x(r.close->closed_at_ms)) + "\" y2=\"" +
           fixed(f.bottom()) + "\" stroke=\"#b00020\" stroke-width=\"2\"><title>closed " +
           xml_escape(outcome_text(r)) + "</title></line>\n";
  }
}

}  // namespace

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
