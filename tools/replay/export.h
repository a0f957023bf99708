// Exporting history for pandas and DuckDB: the engine's events as rows, and settlement's
// transfers and orders, as CSV (RFC 4180, header row) or JSON Lines (one object per line).
//
// Event rows have at least SPEC §9's columns, first and in this order:
//   lot, seq, ts_ms, bidder, amount, accepted, code, phase, deadline_ms
// then: event, outcome, winner, price. A value that does not apply is empty in CSV and null in
// JSON. `event` is one of bid, phase, closed, created, edited, qualified, refused.
//   - bid: a bid and its answer (accepted true/false, code = the reject code), the lot's phase and
//     deadline after it;
//   - phase: a phase change (phase, deadline_ms); closed: the close (outcome, winner, price);
//   - created / edited: a lot's configuration; qualified: a bidder qualified (bidder);
//   - refused: an admin command refused (code = the reason).
// Amounts are integers in the lot currency's minor unit; times are Unix epoch milliseconds.
// Threading: one thread; output through a buffered FILE*.
#pragma once

#include <cstdio>
#include <optional>
#include <string>

#include "auction/engine/engine.h"
#include "data_dir.h"
#include "replay.h"

namespace auction::replay {

enum class Format { csv, jsonl };

struct ExportFilter {
  std::optional<LotId> lot;
  // One bidder's own rows (its bids, maxima, qualifications): what that bidder could see of
  // itself, so its maxima are shown (in `amount` of its max_bid rows), nobody else's.
  std::optional<UserId> bidder;
  Seq from_seq = 1, to_seq = ~Seq{0};
  TimeMs from_ms = 0, to_ms = kMaxTimeMs;  // inclusive, on the event's timestamp
};

struct ExportReport {
  std::uint64_t records = 0;  // journal records replayed
  std::uint64_t rows = 0;
};

// Writes the header (CSV) and one row per event that passes `filter`.
Status export_events(const DataDir& dir, const ExportFilter& filter, Format format, std::FILE* out,
                     Progress* progress, ExportReport& report);

// Settlement: every ledger transfer (id, ts_ms, from, to, currency, amount, reason, reference),
// or every order with its state and amounts. An error when the directory has no settlement.
Status export_transfers(const DataDir& dir, Format format, std::FILE* out, ExportReport& report);
Status export_orders(const DataDir& dir, Format format, std::FILE* out, ExportReport& report);

// One row per lot as it stands at the journal's end (id, title, seller, currency and its minor
// unit, prices, phase, outcome, winner, price, bids, times): the table that lets an analyst
// scale each lot's amounts by its own currency.
Status export_lots(const DataDir& dir, Format format, std::FILE* out, Progress* progress,
                   ExportReport& report);

}  // namespace auction::replay
