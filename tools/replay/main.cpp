// auction-replay: analysts' questions answered from a data directory, without a server
// (SPEC §9, docs/REPLAY.md). Read-only: works on a live server's directory or on a copy.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>

#include "auctionctl/values.h"
#include "export.h"
#include "replay.h"
#include "report.h"
#include "text_format.h"

namespace auction::replay {
namespace {

constexpr int kBadData = 1;   // the journal failed a check: corruption or divergence
constexpr int kBadInput = 2;  // bad arguments, or a directory that is not a data directory

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "auction-replay: %s\n", message.c_str());
  return code;
}

// Errors of the data itself are exit 1; a missing directory or lot, or a bad argument, exit 2.
int fail(const Status& status) {
  return fail(status.code() == Status::Code::corruption ? kBadData : kBadInput, status.message());
}

struct Options {
  std::string data_dir;
  bool json = false;
  bool quiet = false;
};

std::string with_commas(std::uint64_t value) {
  std::string digits = std::to_string(value), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

int run_verify(const DataDir& dir, const Options& options) {
  Progress progress("verify", dir.journal->last_seq(), !options.quiet);
  VerifyReport r;
  const Status s = verify(dir, r, &progress);
  progress.finish(r.records);
  if (!s.is_ok()) return fail(s);
  if (options.json) {
    std::printf(
        "{\"ok\":true,\"records\":%llu,\"first_seq\":%llu,\"last_seq\":%llu,\"first_ts_ms\":%lld,"
        "\"last_ts_ms\":%lld,\"lots\":%llu,\"with_outcome\":%llu,\"marks_checked\":%llu,"
        "\"snapshots_checked\":%llu,\"chain\":\"%s\"}\n",
        static_cast<unsigned long long>(r.records), static_cast<unsigned long long>(r.first_seq),
        static_cast<unsigned long long>(r.last_seq), static_cast<long long>(r.first_ts_ms),
        static_cast<long long>(r.last_ts_ms), static_cast<unsigned long long>(r.lots),
        static_cast<unsigned long long>(r.with_outcome),
        static_cast<unsigned long long>(r.marks_checked),
        static_cast<unsigned long long>(r.snapshots_checked), r.chain_hex.c_str());
    return 0;
  }
  std::printf("journal ok: %s records, seq %llu..%llu\n", with_commas(r.records).c_str(),
              static_cast<unsigned long long>(r.first_seq),
              static_cast<unsigned long long>(r.last_seq));
  if (r.records > 0) {
    std::printf("time span:  %s .. %s (%s)\n", auctionctl::iso_utc(r.first_ts_ms).c_str(),
                auctionctl::iso_utc(r.last_ts_ms).c_str(),
                auctionctl::elapsed_text(r.last_ts_ms - r.first_ts_ms).c_str());
  }
  // verify runs no engine: it counts the ids that lot creations name, refused ones too (an id
  // taken, a bad configuration); check counts the lots the engine created.
  std::printf(
      "lots:       %s ids named by lot creations (refused ones too; check counts the "
      "lots created)\n",
      with_commas(r.lots).c_str());
  std::printf("outcomes:   %s records carry their recorded outcome\n",
              with_commas(r.with_outcome).c_str());
  std::printf("closes:     %s chain digests of transaction confirmations checked\n",
              with_commas(r.marks_checked).c_str());
  std::printf("snapshots:  %s checked\n", with_commas(r.snapshots_checked).c_str());
  std::printf("chain:      %s\n", r.chain_hex.c_str());
  return 0;
}

int run_check(const DataDir& dir, const Options& options) {
  Progress progress("check", dir.journal->last_seq(), !options.quiet);
  CheckReport r;
  const Status s = check(dir, r, &progress);
  progress.finish(r.records);
  if (!s.is_ok()) return fail(s);
  if (r.divergent_seq) return fail(kBadData, "divergence at " + r.divergence);
  if (options.json) {
    std::printf(
        "{\"ok\":true,\"records\":%llu,\"outcomes_compared\":%llu,\"snapshots_compared\":%llu,"
        "\"last_seq\":%llu,\"state_digest\":\"%s\",\"lots\":%llu,\"closed\":%llu,\"sold\":%llu}\n",
        static_cast<unsigned long long>(r.records),
        static_cast<unsigned long long>(r.outcomes_compared),
        static_cast<unsigned long long>(r.snapshots_compared),
        static_cast<unsigned long long>(r.last_seq), hex64(r.state_digest).c_str(),
        static_cast<unsigned long long>(r.lots), static_cast<unsigned long long>(r.closed),
        static_cast<unsigned long long>(r.sold));
    return 0;
  }
  std::printf("check ok: %s records replayed\n", with_commas(r.records).c_str());
  std::printf("reproduced: %s recorded outcomes, %s snapshot digests\n",
              with_commas(r.outcomes_compared).c_str(), with_commas(r.snapshots_compared).c_str());
  std::printf("state:      digest %s after seq %llu\n", hex64(r.state_digest).c_str(),
              static_cast<unsigned long long>(r.last_seq));
  std::printf("lots:       %s created (%s closed, %s sold)\n", with_commas(r.lots).c_str(),
              with_commas(r.closed).c_str(), with_commas(r.sold).c_str());
  return 0;
}

// "12345" is a sequence number; anything else a time (ISO 8601, or epoch ms written "…ms").
Status resolve_at(const DataDir& dir, const std::string& at, Seq& seq) {
  if (!at.empty() && at.find_first_not_of("0123456789") == std::string::npos) {
    if (at.size() > 19) return Status::error(Status::Code::invalid_argument, "--at: too large");
    seq = std::stoull(at);
  } else {
    TimeMs at_ms = 0;
    if (at.size() > 2 && at.ends_with("ms") &&
        at.find_first_not_of("0123456789") == at.size() - 2) {
      at_ms = std::stoll(at.substr(0, at.size() - 2));
    } else {
      const auto when = auctionctl::parse_when(at);
      if (!when.value || !std::holds_alternative<TimeMs>(*when.value)) {
        return Status::error(Status::Code::invalid_argument,
                             "--at: \"" + at +
                                 "\" is neither a sequence number nor a time (ISO 8601, or "
                                 "epoch milliseconds as 1767225600000ms)");
      }
      at_ms = std::get<TimeMs>(*when.value);
    }
    if (Status s = seq_at_time(dir, at_ms, seq); !s.is_ok()) return s;
  }
  const Seq last = dir.journal->last_seq();
  if (seq > last) {
    return Status::error(Status::Code::invalid_argument, "--at: seq " + std::to_string(seq) +
                                                             " is past the journal's end (seq " +
                                                             std::to_string(last) + ")");
  }
  return Status::ok();
}

std::string lot_json(const LotState& lot) {
  const std::optional<TimeMs> deadline =
      lot.deadline_ms != 0 && !lot.bidding_over() ? std::optional(lot.deadline_ms) : std::nullopt;
  return "{\"lot\":" + json_string(lot.config.id.view()) +
         ",\"title\":" + json_string(lot.config.title.view()) +
         ",\"currency\":" + json_string(lot.config.currency.view()) +
         ",\"phase\":" + json_string(phase_name(lot.phase)) +
         ",\"outcome\":" + (lot.bidding_over() ? json_string(outcome_name(lot.outcome)) : "null") +
         ",\"start_price\":" + std::to_string(lot.config.start_price_minor) +
         ",\"increment\":" + std::to_string(lot.config.increment_minor) +
         ",\"price\":" + (lot.price_minor != 0 ? std::to_string(lot.price_minor) : "null") +
         ",\"leader\":" + (lot.leader.empty() ? "null" : json_string(lot.leader.view())) +
         ",\"min_next\":" + json_or_null(lot.min_next_minor()) +
         ",\"deadline_ms\":" + json_or_null(deadline) +
         ",\"reserve_met\":" + (lot.reserve_met() ? "true" : "false") +
         ",\"deposit\":" + std::to_string(lot.config.deposit_minor) +
         ",\"bids\":" + std::to_string(lot.bid_count) + ",\"seq\":" + std::to_string(lot.seq) + "}";
}

void print_lot_table(std::span<const LotState> lots) {
  std::printf("%-32s %-10s %16s %-20s %6s %-24s\n", "LOT", "PHASE", "PRICE", "LEADER", "BIDS",
              "DEADLINE");
  for (const LotState& lot : lots) {
    const std::string currency(lot.config.currency.view());
    const std::string price =
        lot.price_minor != 0 ? auctionctl::money(lot.price_minor, currency) : "-";
    const std::string deadline =
        lot.deadline_ms != 0 && !lot.bidding_over() ? auctionctl::iso_utc(lot.deadline_ms) : "-";
    std::printf("%-32s %-10s %16s %-20s %6u %-24s\n", std::string(lot.config.id.view()).c_str(),
                std::string(phase_name(lot.phase)).c_str(), price.c_str(),
                lot.leader.empty() ? "-" : std::string(lot.leader.view()).c_str(), lot.bid_count,
                deadline.c_str());
  }
}

int run_state(const DataDir& dir, const Options& options, const std::string& at,
              const std::string& lot_text) {
  std::optional<LotId> lot;
  if (!lot_text.empty()) {
    lot = LotId::parse(lot_text);
    if (!lot) return fail(kBadInput, "--lot: invalid id \"" + lot_text + "\"");
  }
  Seq seq = 0;
  if (Status s = resolve_at(dir, at, seq); !s.is_ok()) return fail(s);
  Progress progress("state", seq, !options.quiet);
  Engine engine(dir.limits);
  std::uint64_t applied = 0;
  if (seq > 0) {
    ReplayOptions replay_options;
    replay_options.from_seq = seq;
    replay_options.to_seq = seq;
    replay_options.progress = &progress;
    if (Status s = replay(
            dir, replay_options, [](const Step&) { return true; }, engine, applied);
        !s.is_ok()) {
      return fail(s);
    }
  }
  progress.finish(applied);
  std::span<const LotState> lots = engine.lots();
  if (lot) {
    const LotState* state = engine.find_lot(*lot);
    if (state == nullptr) {
      return fail(kBadInput, "lot " + lot_text + ": does not exist at seq " + std::to_string(seq));
    }
    lots = std::span<const LotState>(state, 1);
  }
  if (options.json) {
    std::string out = "{\"at_seq\":" + std::to_string(seq) +
                      ",\"at_ts_ms\":" + std::to_string(seq > 0 ? engine.now_ms() : 0) +
                      ",\"lots\":[";
    for (std::size_t i = 0; i < lots.size(); ++i)
      out += (i > 0 ? "," : "") + lot_json(lots[i]);
    std::printf("%s]}\n", out.c_str());
    return 0;
  }
  std::printf("state after seq %llu%s\n", static_cast<unsigned long long>(seq),
              seq > 0 ? (" (" + auctionctl::iso_utc(engine.now_ms()) + ")").c_str() : "");
  print_lot_table(lots);
  return 0;
}

struct ExportArgs {
  std::string format = "csv";
  std::string table = "events";
  std::string lot, bidder, from, to, output;
  Seq from_seq = 1, to_seq = ~Seq{0};
};

Status parse_time_arg(const std::string& name, const std::string& text, TimeMs& out) {
  if (text.empty()) return Status::ok();
  if (text.find_first_not_of("0123456789") == std::string::npos && text.size() <= 16) {
    out = std::stoll(text);  // epoch milliseconds
    return Status::ok();
  }
  const auto when = auctionctl::parse_when(text);
  if (!when.value || !std::holds_alternative<TimeMs>(*when.value)) {
    return Status::error(Status::Code::invalid_argument,
                         name + ": \"" + text + "\" is not a time (ISO 8601 or epoch ms)");
  }
  out = std::get<TimeMs>(*when.value);
  return Status::ok();
}

int run_export(const DataDir& dir, const Options& options, const ExportArgs& args) {
  const Format format = args.format == "jsonl" ? Format::jsonl : Format::csv;
  ExportFilter filter;
  if (!args.lot.empty()) {
    filter.lot = LotId::parse(args.lot);
    if (!filter.lot) return fail(kBadInput, "--lot: invalid id \"" + args.lot + "\"");
  }
  if (!args.bidder.empty()) {
    filter.bidder = UserId::parse(args.bidder);
    if (!filter.bidder) return fail(kBadInput, "--bidder: invalid id \"" + args.bidder + "\"");
  }
  filter.from_seq = std::max<Seq>(args.from_seq, 1);
  filter.to_seq = args.to_seq;
  if (Status s = parse_time_arg("--from", args.from, filter.from_ms); !s.is_ok()) return fail(s);
  if (Status s = parse_time_arg("--to", args.to, filter.to_ms); !s.is_ok()) return fail(s);
  std::FILE* out = stdout;
  if (!args.output.empty()) {
    out = std::fopen(args.output.c_str(), "wb");
    if (out == nullptr) return fail(kBadInput, args.output + ": cannot create the file");
  }
  Progress progress("export", dir.journal->last_seq(), !options.quiet);
  ExportReport report;
  Status s = Status::ok();
  if (args.table == "transfers") {
    s = export_transfers(dir, format, out, report);
  } else if (args.table == "lots") {
    s = export_lots(dir, format, out, &progress, report);
  } else if (args.table == "orders") {
    s = export_orders(dir, format, out, report);
  } else {
    s = export_events(dir, filter, format, out, &progress, report);
  }
  progress.finish(report.records);
  const bool closed = out == stdout ? std::fflush(out) == 0 : std::fclose(out) == 0;
  if (!s.is_ok()) return fail(s);
  if (!closed) return fail(kBadInput, "cannot write the output");
  if (!options.quiet && !args.output.empty()) {
    std::fprintf(stderr, "auction-replay: %s rows written to %s\n",
                 with_commas(report.rows).c_str(), args.output.c_str());
  }
  return 0;
}

int run_report(const DataDir& dir, const Options& options, const std::string& lot_text,
               const std::string& svg_file) {
  const auto lot = LotId::parse(lot_text);
  if (!lot) return fail(kBadInput, "--lot: invalid id \"" + lot_text + "\"");
  Progress progress("report", dir.journal->last_seq(), !options.quiet);
  LotReport report;
  const Status s = build_lot_report(dir, *lot, &progress, report);
  progress.finish(report.bids.size());
  if (!s.is_ok()) return fail(s);
  if (!svg_file.empty()) {
    std::ofstream svg(svg_file, std::ios::binary);
    svg << report_svg(report);
    if (!svg.flush()) return fail(kBadInput, svg_file + ": cannot write the chart");
  }
  std::printf("%s",
              options.json ? (report_json(report) + "\n").c_str() : report_text(report).c_str());
  return 0;
}

int run(int argc, char** argv) {
  Options options;
  if (const char* env = std::getenv("AUCTION_DATA_DIR")) options.data_dir = env;
  CLI::App app{
      "auction-replay: verify, re-run, query and export an auction data directory "
      "(read-only; also a copy, also while auctiond runs)",
      "auction-replay"};
  app.footer(
      "Exit codes: 0 ok, 1 the journal failed a check (corruption, divergence), 2 bad "
      "arguments or not a data directory.\nManual: docs/REPLAY.md");
  app.add_option("--data-dir", options.data_dir, "the data directory (default $AUCTION_DATA_DIR)");
  app.add_flag("--json", options.json, "print JSON instead of text");
  app.add_flag("--quiet", options.quiet, "no progress on stderr");
  app.require_subcommand(1);
  std::function<int(const DataDir&)> action;
  const auto command = [&](const char* name, const char* help) {
    CLI::App* sub = app.add_subcommand(name, help);
    sub->fallthrough();
    return sub;
  };

  command("verify", "the journal's integrity: sequence, checksums, chain digest, snapshots")
      ->callback([&] { action = [&](const DataDir& dir) { return run_verify(dir, options); }; });
  command("check",
          "re-run the engine over the recorded commands; compare with the recorded "
          "outcomes and snapshot digests")
      ->callback([&] { action = [&](const DataDir& dir) { return run_check(dir, options); }; });

  std::string at, lot, svg;
  CLI::App* state = command("state", "the lots' state at a sequence number or a time");
  state->add_option("--at", at, "SEQ, or a time (ISO 8601, or epoch ms as 1767225600000ms)")
      ->required();
  state->add_option("--lot", lot, "one lot only");
  state->callback(
      [&] { action = [&](const DataDir& dir) { return run_state(dir, options, at, lot); }; });

  ExportArgs export_args;
  CLI::App* export_command = command("export",
                                     "bids and events (or settlement's transfers or "
                                     "orders) as CSV or JSON Lines");
  export_command->add_option("--format", export_args.format, "csv (default) or jsonl")
      ->check(CLI::IsMember({"csv", "jsonl"}));
  export_command
      ->add_option("--table", export_args.table,
                   "events (default), lots (each lot at the end), transfers (the ledger) or "
                   "orders (settlement)")
      ->check(CLI::IsMember({"events", "lots", "transfers", "orders"}));
  export_command->add_option("--lot", export_args.lot, "events of one lot only");
  export_command->add_option("--bidder", export_args.bidder,
                             "one bidder's own rows only, its maxima shown (SPEC 4.2)");
  export_command->add_option("--from", export_args.from, "events at or after this time");
  export_command->add_option("--to", export_args.to, "events at or before this time");
  export_command->add_option("--from-seq", export_args.from_seq, "events from this seq on");
  export_command->add_option("--to-seq", export_args.to_seq, "events up to this seq");
  export_command->add_option("--output,-o", export_args.output, "write here (default stdout)");
  export_command->callback(
      [&] { action = [&](const DataDir& dir) { return run_export(dir, options, export_args); }; });

  CLI::App* report = command("report", "one lot's figures and a price-over-time chart");
  report->add_option("--lot", lot, "the lot")->required();
  report->add_option("--svg", svg, "write the chart (SVG) to this file");
  report->callback(
      [&] { action = [&](const DataDir& dir) { return run_report(dir, options, lot, svg); }; });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return fail(kBadInput, std::string(e.what()) + " (see --help)");
  }
  if (options.data_dir.empty()) return fail(kBadInput, "no --data-dir given (see --help)");
  DataDir dir;
  if (Status s = DataDir::open(options.data_dir, dir); !s.is_ok()) return fail(s);
  return action(dir);
}

}  // namespace
}  // namespace auction::replay

int main(int argc, char** argv) {
  return auction::replay::run(argc, argv);
}
