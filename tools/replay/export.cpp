#include "export.h"

#include "auction/settlement/model.h"
#include "auctionctl/values.h"
#include "row_writer.h"

namespace auction::replay {
namespace {

// One event as a row; fields that do not apply stay empty.
struct EventRow {
  LotId lot;
  Seq seq = 0;
  TimeMs ts_ms = 0;
  std::string_view event;
  UserId bidder;
  std::optional<AmountMinor> amount;
  std::optional<bool> accepted;
  std::string_view code;
  std::string_view phase;
  std::optional<TimeMs> deadline_ms;
  std::string_view outcome;
  UserId winner;
  std::optional<AmountMinor> price;
  CurrencyCode currency;  // the lot's: its amounts are in this currency's minor unit
  bool auto_bid = false;  // bid by the engine for a maximum (SPEC §4.2)
  bool match = false;     // a priority purchaser matched the price (SPEC §4.3)
};

// The lot's phase and deadline as they stand after the command.
void lot_now(const Engine& engine, const LotId& lot, EventRow& row) {
  const LotState* state = engine.find_lot(lot);
  if (state == nullptr) return;
  row.phase = phase_name(state->phase);
  if (state->deadline_ms != 0 && !state->bidding_over()) row.deadline_ms = state->deadline_ms;
}

// Fills a row's fields from one event's body.
struct RowFiller {
  EventRow& row;
  const Engine& engine;
  const std::optional<UserId>& reveal;  // the bidder whose maxima may be shown
  void operator()(const BidAccepted& e) const {
    row.lot = e.lot, row.event = "bid", row.bidder = e.bidder, row.amount = e.amount_minor;
    row.accepted = true;
    row.auto_bid = e.auto_bid;
    row.match = e.priority_match;
    lot_now(engine, e.lot, row);
    row.deadline_ms = e.deadline_ms;
  }
  void operator()(const BidRejected& e) const {
    row.lot = e.lot, row.event = "bid", row.bidder = e.bidder, row.amount = e.amount_minor;
    row.accepted = false;
    row.code = reject_code_name(e.code);
    lot_now(engine, e.lot, row);
  }
  void operator()(const PhaseChanged& e) const {
    row.lot = e.lot, row.event = "phase", row.phase = phase_name(e.phase);
    row.deadline_ms = e.deadline_ms;
  }
  void operator()(const LotClosed& e) const {
    row.lot = e.lot, row.event = "closed";
    row.phase = phase_name(e.outcome == Outcome::cancelled ? Phase::cancelled : Phase::closed);
    row.outcome = outcome_name(e.outcome);
    row.winner = e.winner;
    if (e.price_minor != 0) row.price = e.price_minor;
  }
  void operator()(const LotConfigured& e) const {
    row.lot = e.config.id, row.event = e.created ? "created" : "edited";
    row.phase = phase_name(Phase::scheduled);
  }
  void operator()(const BidderQualified& e) const {
    row.lot = e.lot, row.event = "qualified", row.bidder = e.bidder;
  }
  void operator()(const CommandRejected& e) const {
    row.lot = e.lot, row.event = "refused", row.code = command_error_name(e.error);
  }
  // A maximum is private to its bidder (SPEC §4.2): the row says one was left, not its amount,
  // except in that bidder's own export (--bidder).
  void operator()(const MaxBidAccepted& e) const {
    row.lot = e.lot, row.event = "max_bid", row.bidder = e.bidder, row.accepted = true;
    if (reveal && e.bidder == *reveal) row.amount = e.max_minor;
    lot_now(engine, e.lot, row);
  }
};

EventRow row_of(const Event& event, const Engine& engine, const std::optional<UserId>& reveal) {
  EventRow row;
  row.seq = event.seq;
  row.ts_ms = event.ts_ms;
  std::visit(RowFiller{row, engine, reveal}, event.body);
  if (const LotState* lot = engine.find_lot(row.lot)) row.currency = lot->config.currency;
  return row;
}

void write_row(RowWriter& w, const EventRow& row) {
  w.text(row.lot.view());
  w.integer(static_cast<std::int64_t>(row.seq));
  w.integer(row.ts_ms);
  w.optional_text(row.bidder.view());
  w.optional_integer(row.amount);
  row.accepted ? w.boolean(*row.accepted) : w.null();
  w.optional_text(row.code);
  w.optional_text(row.phase);
  w.optional_integer(row.deadline_ms);
  w.text(row.event);
  w.optional_text(row.outcome);
  w.optional_text(row.winner.view());
  w.optional_integer(row.price);
  // Added columns go last: readers that take the first ones by position keep working.
  w.optional_text(row.currency.view());
  w.text(auctionctl::iso_utc(row.ts_ms));
  w.boolean(row.auto_bid);
  w.boolean(row.match);
  w.end_row();
}

LotId lot_of(const Event& event) {
  return std::visit(
      [](const auto& body) -> LotId {
        if constexpr (requires { body.lot; }) {
          return body.lot;
        } else {
          return body.config.id;
        }
      },
      event.body);
}

Status write_failed() {
  return Status::error(Status::Code::io_error, "cannot write the output");
}

Status no_settlement(const DataDir& dir) {
  return Status::error(Status::Code::not_found,
                       dir.path + ": no settlement store (settlement/data.mdb)");
}

}  // namespace

Status export_events(const DataDir& dir, const ExportFilter& filter, Format format, std::FILE* out,
                     Progress* progress, ExportReport& report) {
  report = {};
  RowWriter w(
      format, out,
      {"lot", "seq", "ts_ms", "bidder", "amount", "accepted", "code", "phase", "deadline_ms",
       "event", "outcome", "winner", "price", "currency", "ts", "auto", "match"});
  Engine engine(dir.limits);
  ReplayOptions options;
  options.from_seq = filter.from_seq;
  options.to_seq = filter.to_seq;
  options.progress = progress;
  const Status s = replay(
      dir, options,
      [&](const Step& step) {
        if (step.command.ts_ms > filter.to_ms) return false;  // time never goes back
        if (step.command.ts_ms < filter.from_ms) return true;
        for (const Event& event : step.events) {
          if (filter.lot && lot_of(event) != *filter.lot) continue;
          const EventRow row = row_of(event, step.engine, filter.bidder);
          if (filter.bidder && row.bidder != *filter.bidder) continue;
          write_row(w, row);
          ++report.rows;
        }
        return true;
      },
      engine, report.records);
  if (!s.is_ok()) return s;
  return w.flush() ? Status::ok() : write_failed();
}

Status export_transfers(const DataDir& dir, Format format, std::FILE* out, ExportReport& report) {
  report = {};
  if (dir.settlement == nullptr) return no_settlement(dir);
  RowWriter w(format, out,
              {"id", "ts_ms", "from", "to", "currency", "amount", "reason", "reference"});
  const Status s = dir.settlement->scan_transfers(1, [&](const settlement::Transfer& t) {
    w.integer(static_cast<std::int64_t>(t.id));
    w.integer(t.ts_ms);
    w.text(t.from);
    w.text(t.to);
    w.text(t.currency.view());
    w.integer(t.amount_minor);
    w.text(settlement::transfer_reason_name(t.reason));
    w.optional_text(t.reference);
    w.end_row();
    ++report.rows;
    return true;
  });
  if (!s.is_ok()) return s;
  return w.flush() ? Status::ok() : write_failed();
}

Status export_lots(const DataDir& dir, Format format, std::FILE* out, Progress* progress,
                   ExportReport& report) {
  report = {};
  RowWriter w(format, out,
              {"lot", "title", "seller", "currency", "minor_unit", "start_price", "increment",
               "reserve", "deposit", "phase", "outcome", "winner", "price", "bids", "starts_at_ms",
               "closed_at_ms", "starts_at", "closed_at"});
  Engine engine(dir.limits);
  ReplayOptions options;
  options.progress = progress;
  const Status s = replay(
      dir, options, [](const Step&) { return true; }, engine, report.records);
  if (!s.is_ok()) return s;
  for (const LotState& lot : engine.lots()) {
    const LotConfig& c = lot.config;
    const bool sold = lot.phase == Phase::closed && lot.outcome == Outcome::sold;
    w.text(c.id.view());
    w.text(c.title.view());
    w.text(c.seller.view());
    w.text(c.currency.view());
    w.integer(c.currency.minor_unit_digits());
    w.integer(c.start_price_minor);
    w.integer(c.increment_minor);
    w.integer(c.reserve_minor);
    w.integer(c.deposit_minor);
    w.text(phase_name(lot.phase));
    lot.bidding_over() ? w.text(outcome_name(lot.outcome)) : w.null();
    w.optional_text(sold ? lot.leader.view() : std::string_view{});
    lot.price_minor != 0 ? w.integer(lot.price_minor) : w.null();
    w.integer(std::int64_t{lot.bid_count});
    w.integer(c.starts_at_ms);
    lot.closed_at_ms != 0 ? w.integer(lot.closed_at_ms) : w.null();
    w.text(auctionctl::iso_utc(c.starts_at_ms));
    lot.closed_at_ms != 0 ? w.text(auctionctl::iso_utc(lot.closed_at_ms)) : w.null();
    w.end_row();
    ++report.rows;
  }
  return w.flush() ? Status::ok() : write_failed();
}

Status export_orders(const DataDir& dir, Format format, std::FILE* out, ExportReport& report) {
  report = {};
  if (dir.settlement == nullptr) return no_settlement(dir);
  RowWriter w(
      format, out,
      {"order",          "lot",           "title",          "buyer",           "seller",
       "currency",       "state",         "price",          "deposit_applied", "paid",
       "released",       "fee",           "escrow",         "close_seq",       "closed_at_ms",
       "payment_due_ms", "shipped_at_ms", "confirm_due_ms", "updated_ms",      "tracking",
       "dispute_reason"});
  const auto time_or_null = [&](TimeMs ms) { ms != 0 ? w.integer(ms) : w.null(); };
  for (const settlement::Order& o : dir.settlement->orders()) {
    w.text(o.lot.view());
    w.text(o.lot.view());
    w.text(o.title.view());
    w.text(o.buyer.view());
    w.text(o.seller.view());
    w.text(o.currency.view());
    w.text(settlement::order_state_name(o.state));
    w.integer(o.price_minor);
    w.integer(o.deposit_applied_minor);
    w.integer(o.paid_minor);
    w.integer(o.released_minor);
    w.integer(o.fee_minor);
    w.integer(o.escrow_minor());
    w.integer(static_cast<std::int64_t>(o.close_seq));
    time_or_null(o.closed_at_ms);
    time_or_null(o.payment_due_ms);
    time_or_null(o.shipped_at_ms);
    time_or_null(o.confirm_due_ms);
    time_or_null(o.updated_ms);
    w.optional_text(o.tracking);
    w.optional_text(o.dispute_reason);
    w.end_row();
    ++report.rows;
  }
  return w.flush() ? Status::ok() : write_failed();
}

}  // namespace auction::replay
