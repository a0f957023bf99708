// The fixture of auction-replay's tests (replay_test.cpp, replay_report_test.cpp): a journal
// written by the real pipeline during a seeded randomized run (commands a busy sale might see),
// the live state at points of it, and helpers to run the CLI and read what it writes.
// AUCTION_SEED replays a seed; the tests print it with every failure.
#pragma once

#include <doctest/doctest.h>
#include <simdjson.h>
#include <xxhash.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "../engine/harness.h"
#include "../persistence/temp_dir.h"
#include "../support/run_command.h"
#include "auction/persistence/journal.h"
#include "auction/persistence/pipeline.h"
#include "auction/persistence/record_codec.h"
#include "auction/persistence/snapshot_store.h"
#include "auction/persistence/snapshotter.h"
#include "export.h"
#include "replay.h"
#include "report.h"

namespace auction::replay_testing {

using namespace auction::persistence;
using namespace auction::testing;
using namespace std::chrono_literals;

inline std::uint64_t test_seed() {
  static const std::uint64_t seed = []() -> std::uint64_t {
    if (const char* text = std::getenv("AUCTION_SEED")) return std::strtoull(text, nullptr, 10);
    return std::uint64_t{std::random_device{}()};
  }();
  return seed;
}

// Commands a busy sale might see, without knowing the engine's state: lots opening and closing
// all the time, bids near the next valid amount (and some wrong ones), admin commands.
class Generator {
 public:
  explicit Generator(std::uint64_t seed) : rng_(seed) {}

  CommandBody next(TimeMs now_ms) {
    const int roll = uniform(0, 999);
    if (lots_.empty() || roll < 40) return create(now_ms);
    const Lot& lot = lots_[pick_recent()];
    if (roll < 900) return bid(lot);
    if (roll < 920) return QualifyBidder{lot.id, bidder(), QualifySource::waiver};
    if (roll < 940) return PauseLot{lot.id};
    if (roll < 965) return ResumeLot{lot.id};
    if (roll < 970) return CancelLot{lot.id};
    if (roll < 975) {
      LotConfig config = lot.config;
      config.title = Title::parse("Edited, \"quoted\" title").value();
      return EditLot{config};
    }
    return Tick{};
  }

 private:
  struct Lot {
    LotId id;
    LotConfig config;
    std::int64_t steps = 0;
  };

  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  std::size_t pick_recent() {
    const std::size_t window = std::min<std::size_t>(lots_.size(), 12);
    return lots_.size() - 1 - static_cast<std::size_t>(uniform(0, static_cast<int>(window) - 1));
  }
  UserId bidder() { return user("bidder" + std::to_string(uniform(0, 7))); }

  CommandBody create(TimeMs now_ms) {
    LotConfig config = lot_config("lot-" + std::to_string(lots_.size()));
    config.starts_at_ms = now_ms + uniform(0, 1'500);
    config.timed_ms = uniform(0, 4) == 0 ? 0 : uniform(500, 3'000);
    config.extension_ms = config.timed_ms == 0 || uniform(0, 3) > 0 ? uniform(300, 1'500) : 0;
    config.increment_minor = uniform(0, 1) == 0 ? 10 : 25;
    config.deposit_minor = uniform(0, 9) == 0 ? 500 : 0;
    config.reserve_minor = uniform(0, 4) == 0 ? 1'000 : 0;
    lots_.push_back(Lot{config.id, config});
    return CreateLot{config};
  }

  CommandBody bid(const Lot& chosen) {
    Lot& lot = lots_[static_cast<std::size_t>(&chosen - lots_.data())];
    const int kind = uniform(0, 99);
    AmountMinor amount =
        lot.config.start_price_minor + lot.config.increment_minor * (lot.steps + uniform(0, 1));
    if (kind < 5) amount += 3;  // not a multiple of the increment
    if (kind == 5) amount = 0;  // invalid
    if (kind >= 6) lot.steps += 1;
    return PlaceBid{lot.id, bidder(), amount};
  }

  std::mt19937_64 rng_;
  std::vector<Lot> lots_;
};

class CollectingSink final : public OutcomeSink {
 public:
  void on_durable(std::span<const CommandOutcome> outcomes) override {
    std::lock_guard lock(mutex_);
    for (const CommandOutcome& outcome : outcomes)
      events.insert(events.end(), outcome.events.begin(), outcome.events.end());
  }
  void on_refused(std::uint64_t) override { refused += 1; }
  std::mutex mutex_;
  std::vector<Event> events;
  std::atomic<int> refused{0};
};

// What the live engine held at the end of one segment of the run.
struct LivePoint {
  Seq seq = 0;
  TimeMs ts_ms = 0;
  std::vector<LotState> lots;
};

// A data directory written by the pipeline (journal with recorded outcomes, snapshots every
// 1,000 commands by the snapshotter) in segments; between segments the live state is kept, and
// every other segment starts as a restart (a Restart record, the outage rule).
struct SeededRun {
  TempDir dir;
  std::vector<Event> events;
  std::vector<LivePoint> points;
  std::uint64_t final_digest = 0;
  Seq last_seq = 0;

  explicit SeededRun(std::uint64_t seed, int segments = 4, int commands_per_segment = 1'500) {
    std::unique_ptr<Journal> journal;
    REQUIRE(
        Journal::open(JournalOptions{dir.sub("journal"), std::size_t{256} << 20}, journal).is_ok());
    std::unique_ptr<SnapshotStore> snapshots;
    REQUIRE(SnapshotStore::open(dir.sub("snapshots"), false, snapshots).is_ok());
    Engine engine;
    ManualClock clock(kT0);
    Generator generator(seed);
    std::mt19937_64 rng(seed ^ 0x5eed);
    std::uint64_t origin = 1;
    for (int segment = 0; segment < segments; ++segment) {
      CollectingSink sink;
      Snapshotter snapshotter(*journal, *snapshots, engine.limits(),
                              SnapshotterOptions{1'000, std::chrono::milliseconds(5)});
      REQUIRE(snapshotter.start(engine.snapshot()).is_ok());
      {
        Pipeline pipeline(engine, *journal, clock, sink, journal->chain().digest);
        pipeline.start(segment % 2 == 1);
        for (int i = 0; i < commands_per_segment; ++i) {
          clock.advance(std::uniform_int_distribution<int>(0, 40)(rng));
          REQUIRE(pipeline.submit(generator.next(clock.now_ms()), origin++));
          if (i % 50 == 0) std::this_thread::sleep_for(1ms);  // let the pipeline sequence
        }
        pipeline.stop();
      }
      snapshotter.stop();
      REQUIRE(sink.refused == 0);
      points.push_back(LivePoint{
          engine.last_seq(), engine.now_ms(), {engine.lots().begin(), engine.lots().end()}});
      events.insert(events.end(), sink.events.begin(), sink.events.end());
      clock.advance(1'000);  // the next segment's first command comes strictly later
    }
    final_digest = engine.state_digest();
    last_seq = engine.last_seq();
  }
  std::string path() const { return dir.path(); }
};

inline replay::DataDir open_dir(const std::string& path) {
  replay::DataDir dir;
  const Status status = replay::DataDir::open(path, dir);
  REQUIRE_MESSAGE(status.is_ok(), status.message());
  return dir;
}

inline CommandResult replay_cli(std::vector<std::string> args) {
  args.insert(args.begin(), AUCTION_REPLAY);
  return run_command(args, 60s);
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

inline void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// RFC 4180: fields separated by commas, quoted when they hold a comma, quote or line break,
// quotes doubled inside.
inline std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false, in_quotes = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        in_quotes = false;
      } else {
        field += c;
      }
    } else if (c == '"' && field.empty() && !quoted) {
      in_quotes = quoted = true;
    } else if (c == ',') {
      rows.back().push_back(field);
      field.clear();
      quoted = false;
    } else if (c == '\n') {
      rows.back().push_back(field);
      field.clear();
      quoted = false;
      rows.emplace_back();
    } else {
      field += c;
    }
  }
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

// The columns of an export row that follow from the event alone.
struct ExpectedRow {
  std::string lot, seq, ts_ms, bidder, amount, accepted, code, event, outcome, winner, price;
  std::string deadline_ms;  // for accepted bids and phase changes
  bool operator==(const ExpectedRow&) const = default;
};

inline std::string opt(const std::optional<std::int64_t>& value) {
  return value ? std::to_string(*value) : "";
}

// A row from the named fields; the rest stay empty.
inline ExpectedRow make_row(const Event& event, std::string_view lot, std::string_view kind) {
  ExpectedRow row;
  row.lot = lot;
  row.seq = std::to_string(event.seq);
  row.ts_ms = std::to_string(event.ts_ms);
  row.event = kind;
  return row;
}

inline ExpectedRow expected_row(const Event& event) {
  if (const auto* a = std::get_if<BidAccepted>(&event.body)) {
    ExpectedRow row = make_row(event, a->lot.view(), "bid");
    row.bidder = a->bidder.view(), row.amount = std::to_string(a->amount_minor);
    row.accepted = "true", row.deadline_ms = std::to_string(a->deadline_ms);
    return row;
  }
  if (const auto* r = std::get_if<BidRejected>(&event.body)) {
    ExpectedRow row = make_row(event, r->lot.view(), "bid");
    row.bidder = r->bidder.view(), row.amount = std::to_string(r->amount_minor);
    row.accepted = "false", row.code = reject_code_name(r->code);
    return row;
  }
  if (const auto* p = std::get_if<PhaseChanged>(&event.body)) {
    ExpectedRow row = make_row(event, p->lot.view(), "phase");
    row.deadline_ms = opt(p->deadline_ms);
    return row;
  }
  if (const auto* c = std::get_if<LotClosed>(&event.body)) {
    ExpectedRow row = make_row(event, c->lot.view(), "closed");
    row.outcome = outcome_name(c->outcome), row.winner = c->winner.view();
    row.price = c->price_minor != 0 ? std::to_string(c->price_minor) : "";
    return row;
  }
  if (const auto* l = std::get_if<LotConfigured>(&event.body)) {
    return make_row(event, l->config.id.view(), l->created ? "created" : "edited");
  }
  if (const auto* q = std::get_if<BidderQualified>(&event.body)) {
    ExpectedRow row = make_row(event, q->lot.view(), "qualified");
    row.bidder = q->bidder.view();
    return row;
  }
  const auto& x = std::get<CommandRejected>(event.body);
  ExpectedRow row = make_row(event, x.lot.view(), "refused");
  row.code = command_error_name(x.error);
  return row;
}

// The comparable columns of an exported row, whatever its format.
inline ExpectedRow exported_row(const std::function<std::string(const char*)>& at) {
  ExpectedRow out;
  out.lot = at("lot"), out.seq = at("seq"), out.ts_ms = at("ts_ms"), out.bidder = at("bidder");
  out.amount = at("amount"), out.accepted = at("accepted"), out.code = at("code");
  out.event = at("event"), out.outcome = at("outcome"), out.winner = at("winner");
  out.price = at("price");
  if (out.event == "phase" || (out.event == "bid" && out.accepted == "true")) {
    out.deadline_ms = at("deadline_ms");
  }
  return out;
}

// A CSV row (with the header's column names) as the comparable columns.
inline ExpectedRow csv_row(const std::vector<std::string>& header,
                           const std::vector<std::string>& row) {
  std::map<std::string, std::string> at;
  for (std::size_t i = 0; i < header.size() && i < row.size(); ++i)
    at[header[i]] = row[i];
  return exported_row([&](const char* name) { return at[name]; });
}

inline std::string json_field(simdjson::ondemand::object& object, std::string_view key) {
  simdjson::ondemand::value value;
  if (object.find_field_unordered(key).get(value) != simdjson::SUCCESS) return "<missing>";
  if (value.is_null()) return "";
  switch (value.type()) {
    case simdjson::ondemand::json_type::string:
      return std::string(std::string_view(value.get_string()));
    case simdjson::ondemand::json_type::boolean:
      return bool(value.get_bool()) ? "true" : "false";
    case simdjson::ondemand::json_type::number:
      return std::to_string(std::int64_t(value.get_int64()));
    default:
      return "<other>";
  }
}

// Flips one byte inside record `seq`'s bytes in the journal's data file.
inline void flip_record_byte(const std::string& data_dir, Seq seq) {
  std::string record;
  {
    std::unique_ptr<Journal> journal;
    REQUIRE(Journal::open(JournalOptions{data_dir + "/journal", 0, true}, journal).is_ok());
    REQUIRE(journal
                ->scan(seq,
                       [&](Seq, std::string_view bytes) {
                         record = bytes;
                         return false;
                       })
                .is_ok());
  }
  for (const auto& entry : std::filesystem::directory_iterator(data_dir + "/journal")) {
    if (!entry.path().filename().string().starts_with("segment-")) continue;
    std::string bytes = read_file(entry.path().string());
    const auto at = bytes.find(record);
    if (at == std::string::npos) continue;
    REQUIRE(bytes.find(record, at + 1) == std::string::npos);
    bytes[at + record.size() / 2] ^= 0x20;
    write_file(entry.path().string(), bytes);
    return;
  }
  FAIL("record " << seq << " not found in any segment");
}

// Every journal segment's bytes, in name order.
inline std::string journal_bytes(const std::string& data_dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(data_dir + "/journal"))
    if (entry.path().filename().string().starts_with("segment-")) names.push_back(entry.path());
  std::sort(names.begin(), names.end());
  std::string all;
  for (const std::string& name : names)
    all += read_file(name);
  return all;
}

// Copies the journal of `from` into a new data directory at `to`, re-encoding record `seq` with
// `rewrite` (its checksum and the chain stay valid: only what it says changes).
inline void copy_journal_rewriting(const std::string& from, const std::string& to, Seq seq,
                                   const std::function<void(std::string&)>& rewrite) {
  std::unique_ptr<Journal> source, target;
  REQUIRE(Journal::open(JournalOptions{from + "/journal", 0, true}, source).is_ok());
  REQUIRE(Journal::open(JournalOptions{to + "/journal", std::size_t{256} << 20}, target).is_ok());
  std::vector<std::string> records;
  REQUIRE(source
              ->scan(1,
                     [&](Seq s, std::string_view bytes) {
                       records.emplace_back(bytes);
                       if (s == seq) rewrite(records.back());
                       return true;
                     })
              .is_ok());
  ChainDigest chain;
  std::vector<std::string_view> views;
  for (const std::string& record : records) {
    views.push_back(record);
    chain.add(record);
  }
  REQUIRE(target->write(JournalBatch{views, records.size(), chain.value(), {}}).is_ok());
  REQUIRE(target->sync().is_ok());
}

// The Nth bid record that was accepted (so its outcome has events worth tampering with).
inline Seq accepted_bid_seq(const std::vector<Event>& events, int nth) {
  for (const Event& event : events) {
    if (std::holds_alternative<BidAccepted>(event.body) && nth-- == 0) return event.seq;
  }
  FAIL("not enough accepted bids");
  return 0;
}

inline SeededRun& shared_run() {
  static SeededRun run(test_seed());
  return run;
}

}  // namespace auction::replay_testing
