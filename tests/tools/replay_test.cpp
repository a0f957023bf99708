// auction-replay (issue 7) on a journal written by the real pipeline during a seeded randomized
// run: verify and check pass; a flipped byte and a tampered recorded outcome are caught with the
// right sequence number; export parses back to the events; state --at agrees with the live state;
// the report's figures and its SVG; every bad input with its clear error. AUCTION_SEED replays a
// seed; the seed is printed with every failure.
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

using namespace auction;
using namespace auction::persistence;
using namespace auction::testing;
using namespace std::chrono_literals;

namespace {

std::uint64_t test_seed() {
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

replay::DataDir open_dir(const std::string& path) {
  replay::DataDir dir;
  const Status status = replay::DataDir::open(path, dir);
  REQUIRE_MESSAGE(status.is_ok(), status.message());
  return dir;
}

CommandResult replay_cli(std::vector<std::string> args) {
  args.insert(args.begin(), AUCTION_REPLAY);
  return run_command(args, 60s);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// RFC 4180: fields separated by commas, quoted when they hold a comma, quote or line break,
// quotes doubled inside.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
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

std::string opt(const std::optional<std::int64_t>& value) {
  return value ? std::to_string(*value) : "";
}

// A row from the named fields; the rest stay empty.
ExpectedRow make_row(const Event& event, std::string_view lot, std::string_view kind) {
  ExpectedRow row;
  row.lot = lot;
  row.seq = std::to_string(event.seq);
  row.ts_ms = std::to_string(event.ts_ms);
  row.event = kind;
  return row;
}

ExpectedRow expected_row(const Event& event) {
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
ExpectedRow exported_row(const std::function<std::string(const char*)>& at) {
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
ExpectedRow csv_row(const std::vector<std::string>& header, const std::vector<std::string>& row) {
  std::map<std::string, std::string> at;
  for (std::size_t i = 0; i < header.size() && i < row.size(); ++i)
    at[header[i]] = row[i];
  return exported_row([&](const char* name) { return at[name]; });
}

std::string json_field(simdjson::ondemand::object& object, std::string_view key) {
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
void flip_record_byte(const std::string& data_dir, Seq seq) {
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
std::string journal_bytes(const std::string& data_dir) {
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
void copy_journal_rewriting(const std::string& from, const std::string& to, Seq seq,
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
Seq accepted_bid_seq(const std::vector<Event>& events, int nth) {
  for (const Event& event : events) {
    if (std::holds_alternative<BidAccepted>(event.body) && nth-- == 0) return event.seq;
  }
  FAIL("not enough accepted bids");
  return 0;
}

SeededRun& shared_run() {
  static SeededRun run(test_seed());
  return run;
}

}  // namespace

TEST_CASE("replay: verify and check pass on a seeded run — state at a seq equals the live state") {
  INFO("seed " << test_seed() << " (AUCTION_SEED=" << test_seed() << " replays it)");
  SeededRun& run = shared_run();
  replay::DataDir dir = open_dir(run.path());

  replay::VerifyReport verified;
  const Status v = replay::verify(dir, verified, nullptr);
  REQUIRE_MESSAGE(v.is_ok(), v.message());
  CHECK(verified.records == run.last_seq);
  CHECK(verified.first_seq == 1);
  CHECK(verified.with_outcome == run.last_seq);  // the pipeline records every outcome
  CHECK(verified.snapshots_checked >= 1);
  CHECK(verified.marks_checked >= 1);  // closes were marked for their confirmations

  replay::CheckReport checked;
  const Status c = replay::check(dir, checked, nullptr);
  REQUIRE_MESSAGE(c.is_ok(), c.message());
  CHECK_MESSAGE(!checked.divergent_seq, checked.divergence);
  CHECK(checked.outcomes_compared == run.last_seq);
  CHECK(checked.snapshots_compared >= 1);
  CHECK(checked.state_digest == run.final_digest);
  CHECK(checked.sold >= 1);

  for (const LivePoint& point : run.points) {
    CAPTURE(point.seq);
    for (const bool snapshots : {true, false}) {
      Engine engine;
      replay::ReplayOptions options;
      options.from_seq = point.seq;
      options.to_seq = point.seq;
      options.use_snapshots = snapshots;
      std::uint64_t applied = 0;
      REQUIRE(replay::replay(
                  dir, options, [](const replay::Step&) { return true; }, engine, applied)
                  .is_ok());
      CHECK(engine.last_seq() == point.seq);
      CHECK(std::equal(engine.lots().begin(), engine.lots().end(), point.lots.begin(),
                       point.lots.end()));
    }
  }
}

TEST_CASE("replay CLI: verify, check and state --at (seq and time) against the live state") {
  INFO("seed " << test_seed());
  SeededRun& run = shared_run();
  const CommandResult verify = replay_cli({"--data-dir", run.path(), "verify"});
  CHECK_MESSAGE(verify.exit_code == 0, verify.err);
  CHECK(verify.out.find("journal ok: ") == 0);
  // The two lot counts say what each counts (verify runs no engine: refused creations too).
  CHECK(verify.out.find("ids named by lot creations") != std::string::npos);
  const CommandResult check_text = replay_cli({"--data-dir", run.path(), "check"});
  CHECK(check_text.out.find(" created (") != std::string::npos);
  const CommandResult check = replay_cli({"--data-dir", run.path(), "--json", "check"});
  CHECK_MESSAGE(check.exit_code == 0, check.err);
  CHECK(check.out.find("\"ok\":true") != std::string::npos);

  const LivePoint& point = run.points[1];
  const LotState& lot = point.lots[point.lots.size() / 2];
  for (const std::string& at : {std::to_string(point.seq), std::to_string(point.ts_ms) + "ms"}) {
    CAPTURE(at);
    const CommandResult state = replay_cli({"--data-dir", run.path(), "--json", "state", "--at", at,
                                            "--lot", std::string(lot.config.id.view())});
    REQUIRE_MESSAGE(state.exit_code == 0, state.err);
    simdjson::ondemand::parser parser;
    simdjson::padded_string json(state.out);
    auto doc = parser.iterate(json);
    CHECK(std::uint64_t(doc["at_seq"]) == point.seq);
    simdjson::ondemand::object shown;
    for (auto value : doc["lots"].get_array()) {
      shown = value.get_object();
      break;
    }
    CHECK(json_field(shown, "lot") == lot.config.id.view());
    CHECK(json_field(shown, "phase") == phase_name(lot.phase));
    CHECK(json_field(shown, "price") == (lot.price_minor ? std::to_string(lot.price_minor) : ""));
    CHECK(json_field(shown, "leader") == lot.leader.view());
    CHECK(json_field(shown, "bids") == std::to_string(lot.bid_count));
    CHECK(json_field(shown, "seq") == std::to_string(lot.seq));
  }
  const CommandResult table = replay_cli({"--data-dir", run.path(), "state", "--at", "1"});
  CHECK(table.exit_code == 0);
  CHECK(table.out.find("lot-0") != std::string::npos);
}

TEST_CASE("replay CLI: export as CSV and JSON Lines parses back to the events") {
  INFO("seed " << test_seed());
  SeededRun& run = shared_run();
  std::vector<ExpectedRow> expected;
  for (const Event& event : run.events)
    expected.push_back(expected_row(event));

  TempDir out;
  const CommandResult csv = replay_cli(
      {"--data-dir", run.path(), "export", "--format", "csv", "-o", out.sub("events.csv")});
  REQUIRE_MESSAGE(csv.exit_code == 0, csv.err);
  const auto rows = parse_csv(read_file(out.sub("events.csv")));
  REQUIRE(rows.size() == expected.size() + 1);
  const std::vector<std::string> required = {"lot",      "seq",  "ts_ms", "bidder",     "amount",
                                             "accepted", "code", "phase", "deadline_ms"};
  CHECK(std::vector<std::string>(rows[0].begin(), rows[0].begin() + 9) == required);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CAPTURE(i);
    REQUIRE(rows[i + 1].size() == rows[0].size());
    CHECK(csv_row(rows[0], rows[i + 1]) == expected[i]);
  }
  // The lot's currency (its amounts' unit), the time as ISO 8601, whether the engine bid for
  // a maximum and whether a priority purchaser matched ride along, last.
  REQUIRE(rows[0].size() >= 4);
  const std::size_t at_currency = rows[0].size() - 4, at_ts = rows[0].size() - 3;
  CHECK(rows[0][at_currency] == "currency");
  CHECK(rows[0][at_ts] == "ts");
  CHECK(rows[0][rows[0].size() - 2] == "auto");
  CHECK(rows[0].back() == "match");
  std::size_t with_currency = 0;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const std::string& currency = rows[i][at_currency];
    CHECK_MESSAGE((currency.empty() || currency == "EUR" || currency == "CNY"), currency);
    with_currency += !currency.empty();
    CHECK_MESSAGE((rows[i][at_ts].size() == 24 && rows[i][at_ts].back() == 'Z'), rows[i][at_ts]);
    CHECK_MESSAGE((rows[i].back() == "true" || rows[i].back() == "false"), rows[i].back());
  }
  CHECK(with_currency > 0);

  const CommandResult jsonl = replay_cli({"--data-dir", run.path(), "export", "--format", "jsonl"});
  REQUIRE_MESSAGE(jsonl.exit_code == 0, jsonl.err);
  std::istringstream lines(jsonl.out);
  std::string line;
  std::size_t i = 0;
  simdjson::ondemand::parser parser;
  while (std::getline(lines, line)) {
    REQUIRE(i < expected.size());
    simdjson::padded_string json(line);
    auto doc = parser.iterate(json);
    simdjson::ondemand::object object = doc.get_object();
    const ExpectedRow got =
        exported_row([&](const char* name) { return json_field(object, name); });
    CHECK(json_field(object, "phase") != "<missing>");
    CHECK(got == expected[i]);
    ++i;
  }
  CHECK(i == expected.size());

  // Filters: one lot; a sequence range (which starts from a snapshot) equals that slice.
  const std::string lot = "lot-3";
  const CommandResult one_lot = replay_cli({"--data-dir", run.path(), "export", "--lot", lot});
  REQUIRE(one_lot.exit_code == 0);
  const auto lot_rows = parse_csv(one_lot.out);
  std::size_t lot_events = 0;
  for (const ExpectedRow& row : expected)
    lot_events += row.lot == lot ? 1 : 0;
  CHECK(lot_rows.size() == lot_events + 1);
  const Seq from = run.points[1].seq + 1, to = run.points[2].seq;
  const CommandResult range = replay_cli({"--data-dir", run.path(), "export", "--from-seq",
                                          std::to_string(from), "--to-seq", std::to_string(to)});
  REQUIRE(range.exit_code == 0);
  const auto range_rows = parse_csv(range.out);
  std::vector<std::vector<std::string>> slice = {rows[0]};
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const Seq seq = std::stoull(rows[r][1]);
    if (seq >= from && seq <= to) slice.push_back(rows[r]);
  }
  CHECK(range_rows == slice);
}

TEST_CASE(
    "replay CLI: a flipped byte is caught by verify and check naming its batch — nothing changes") {
  INFO("seed " << test_seed());
  SeededRun& run = shared_run();
  TempDir copy;
  std::filesystem::copy(
      run.path(), copy.path(),
      std::filesystem::copy_options::recursive | std::filesystem::copy_options::overwrite_existing);
  const Seq bad = run.last_seq / 3;
  flip_record_byte(copy.path(), bad);
  const std::string before = journal_bytes(copy.path());
  // The batch holding it fails its checksum; intact batches follow, so it is damage (not a batch
  // cut short by a crash) and is named by where it is and the last intact seq before it.
  for (const char* command : {"verify", "check"}) {
    const CommandResult result = replay_cli({"--data-dir", copy.path(), command});
    CHECK(result.exit_code == 1);
    CHECK(result.err.find("auction-replay: journal segment-") == 0);
    CHECK(result.err.find(": damaged batch after seq ") != std::string::npos);
    CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
    const auto after = result.err.find("after seq ") + 10;
    const Seq last_intact = std::stoull(result.err.substr(after));
    CHECK(last_intact < bad);  // the damaged batch holds the record
  }
  CHECK(journal_bytes(copy.path()) == before);  // read-only
}

TEST_CASE("replay CLI: a tampered recorded outcome is caught by check, with both sides") {
  INFO("seed " << test_seed());
  SeededRun& run = shared_run();
  TempDir tampered;
  const Seq bad = accepted_bid_seq(run.events, 40);
  copy_journal_rewriting(run.path(), tampered.path(), bad, [](std::string& record) {
    Command command;
    std::optional<RecordedOutcome> outcome;
    REQUIRE(decode_record(record, command, &outcome).is_ok());
    REQUIRE(outcome.has_value());
    outcome->events_digest ^= 1;  // says the bid produced something else
    record.clear();
    encode_record(command, record, &*outcome);
  });
  const CommandResult verify = replay_cli({"--data-dir", tampered.path(), "verify"});
  CHECK_MESSAGE(verify.exit_code == 0, verify.err);  // intact records, consistent chain
  const CommandResult check = replay_cli({"--data-dir", tampered.path(), "check"});
  CHECK(check.exit_code == 1);
  CAPTURE(check.err);
  CHECK(check.err.find("auction-replay: divergence at seq " + std::to_string(bad) + " (#") == 0);
  CHECK(check.err.find("recorded ") != std::string::npos);
  CHECK(check.err.find("; replayed ") != std::string::npos);
  CHECK(check.err.find("accepted") != std::string::npos);  // the replayed events, described

  // A record of a format this version does not know is named too.
  TempDir future;
  copy_journal_rewriting(run.path(), future.path(), 7, [](std::string& record) {
    record[0] = 9;
    const std::uint64_t checksum = XXH3_64bits(record.data(), record.size() - 8);
    std::memcpy(record.data() + record.size() - 8, &checksum, 8);
  });
  const CommandResult unknown = replay_cli({"--data-dir", future.path(), "verify"});
  CHECK(unknown.exit_code == 1);
  CHECK(unknown.err == "auction-replay: journal record seq 7: unknown record format version 9\n");
}

TEST_CASE("replay CLI: report figures and a well-formed SVG with its series") {
  INFO("seed " << test_seed());
  SeededRun& run = shared_run();
  // The sold lot with the most accepted bids, and its figures counted from the live events.
  std::map<std::string, int> accepted;
  std::set<std::string> sold;
  for (const Event& event : run.events) {
    if (const auto* a = std::get_if<BidAccepted>(&event.body))
      accepted[std::string(a->lot.view())]++;
    if (const auto* c = std::get_if<LotClosed>(&event.body); c && c->outcome == Outcome::sold) {
      sold.insert(std::string(c->lot.view()));
    }
  }
  std::string lot;
  for (const std::string& id : sold) {
    if (lot.empty() || accepted[id] > accepted[lot]) lot = id;
  }
  REQUIRE(!lot.empty());
  // The report covers the lot up to its close (the closing command included): later bids are
  // not part of its auction.
  Seq close_seq = 0;
  for (const Event& event : run.events) {
    if (const auto* c = std::get_if<LotClosed>(&event.body); c && c->lot.view() == lot) {
      close_seq = event.seq;
    }
  }
  int bids = 0, in_extension_accepted = 0;
  std::set<std::string> bidders;
  Phase phase = Phase::scheduled;
  for (const Event& event : run.events) {
    if (event.seq > close_seq) break;
    if (const auto* p = std::get_if<PhaseChanged>(&event.body); p && p->lot.view() == lot) {
      phase = p->phase;
    }
    if (const auto* a = std::get_if<BidAccepted>(&event.body); a && a->lot.view() == lot) {
      ++bids;
      bidders.insert(std::string(a->bidder.view()));
      in_extension_accepted += phase == Phase::extension ? 1 : 0;
    }
    if (const auto* r = std::get_if<BidRejected>(&event.body); r && r->lot.view() == lot) {
      ++bids;
      bidders.insert(std::string(r->bidder.view()));
    }
  }

  TempDir out;
  const std::string svg = out.sub("chart.svg");
  const CommandResult report =
      replay_cli({"--data-dir", run.path(), "--json", "report", "--lot", lot, "--svg", svg});
  REQUIRE_MESSAGE(report.exit_code == 0, report.err);
  simdjson::ondemand::parser parser;
  simdjson::padded_string json(report.out);
  auto doc = parser.iterate(json);
  simdjson::ondemand::object figures = doc.get_object();
  CHECK(json_field(figures, "lot") == lot);
  CHECK(json_field(figures, "outcome") == "sold");
  CHECK(json_field(figures, "bids") == std::to_string(bids));
  CHECK(json_field(figures, "accepted") == std::to_string(accepted[lot]));
  CHECK(json_field(figures, "distinct_bidders") == std::to_string(bidders.size()));
  CHECK(json_field(figures, "extensions") == std::to_string(in_extension_accepted));

  // Well-formed XML, parsed by an independent parser; the series are there.
  const CommandResult xml = run_command(
      {"/usr/bin/python3", "-c",
       "import sys, xml.etree.ElementTree as E\n"
       "root = E.parse(sys.argv[1]).getroot()\n"
       "ns = '{http://www.w3.org/2000/svg}'\n"
       "ids = sorted(e.get('id') for e in root.iter() if e.get('id') and e.get('id') != "
       "'downtime')\n"
       "ext = len([e for e in root.iter(ns + 'line') if e.get('class') == 'extension'])\n"
       "dots = len(list(root.find(ns + \"g[@id='bids']\")))\n"
       "xs = [e for e in root.iter(ns + 'text') if e.get('class') == 'x-tick']\n"
       "print(','.join(ids), ext, dots, xs[-1].get('text-anchor'))\n",
       svg});
  REQUIRE_MESSAGE(xml.exit_code == 0, xml.err);
  const bool had_timed_phase =
      std::any_of(run.events.begin(), run.events.end(), [&](const Event& e) {
        const auto* p = std::get_if<PhaseChanged>(&e.body);
        return p != nullptr && p->lot.view() == lot && p->phase == Phase::timed;
      });
  // The series every chart has, and those this lot calls for (a reserve above the start, pauses)
  // by name. (Downtime depends on where the run's restarts fell: not compared here.)
  std::vector<std::string> series = {"axes",   "bids",  "close",    "extensions",
                                     "legend", "price", "rejected", "start-price"};
  bool paused = false, reserve = false;
  for (const Event& event : run.events) {
    if (event.seq > close_seq) break;
    const auto* p = std::get_if<PhaseChanged>(&event.body);
    paused = paused || (p != nullptr && p->lot.view() == lot && p->phase == Phase::paused);
    const auto* c = std::get_if<LotConfigured>(&event.body);
    if (c != nullptr && c->config.id.view() == lot) {
      reserve = c->config.reserve_minor > c->config.start_price_minor;
    }
  }
  if (paused) series.push_back("paused");
  if (reserve) series.push_back("reserve");
  if (had_timed_phase) series.push_back("timed-phase");
  std::sort(series.begin(), series.end());  // as the script lists them
  std::string ids;
  for (const std::string& id : series)
    ids += (ids.empty() ? "" : ",") + id;
  CHECK(xml.out == ids + " " + std::to_string(in_extension_accepted) + " " +
                       std::to_string(accepted[lot]) + " end\n");

  const CommandResult text = replay_cli({"--data-dir", run.path(), "report", "--lot", lot});
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("distinct bidders") != std::string::npos);
  CHECK(text.out.find("bids in final countdown") != std::string::npos);
  CHECK(text.out.find("\nreserve") != std::string::npos);  // met, not met, or none
  // Spans as people read them: seconds with one decimal, or h/m/s; never raw milliseconds.
  const auto span = text.out.find("first to last bid");
  REQUIRE(span != std::string::npos);
  const std::string value = text.out.substr(span, text.out.find('\n', span) - span);
  CHECK_MESSAGE(value.find("ms") == std::string::npos, value);
}

TEST_CASE("replay CLI: bad inputs get one clear line and the right exit code") {
  SeededRun& run = shared_run();
  TempDir empty;
  const auto expect = [](const CommandResult& result, int code, const std::string& err) {
    CHECK(result.exit_code == code);
    CHECK(result.err == err);
    CHECK(result.out.empty());
  };
  expect(replay_cli({"--data-dir", empty.sub("missing"), "verify"}), 2,
         "auction-replay: " + empty.sub("missing") + ": no such directory\n");
  expect(replay_cli({"--data-dir", empty.path(), "verify"}), 2,
         "auction-replay: " + empty.path() +
             ": not an auction data directory (no journal segments)\n");
  std::filesystem::create_directories(empty.sub("journal"));
  write_file(empty.sub("journal/segment-00000000000000000001.log"), std::string(8192, 'x'));
  const CommandResult garbage = replay_cli({"--data-dir", empty.path(), "check"});
  CHECK(garbage.exit_code != 0);
  CHECK(garbage.err.find("auction-replay: ") == 0);
  CHECK(std::count(garbage.err.begin(), garbage.err.end(), '\n') == 1);

  expect(replay_cli({"verify"}), 2, "auction-replay: no --data-dir given (see --help)\n");
  expect(replay_cli({"--data-dir", run.path(), "state", "--at", "yesterday"}), 2,
         "auction-replay: --at: \"yesterday\" is neither a sequence number nor a time (ISO 8601, "
         "or epoch milliseconds as 1767225600000ms)\n");
  expect(replay_cli({"--data-dir", run.path(), "state", "--at", "99999999"}), 2,
         "auction-replay: --at: seq 99999999 is past the journal's end (seq " +
             std::to_string(run.last_seq) + ")\n");
  expect(replay_cli({"--data-dir", run.path(), "report", "--lot", "no-such-lot"}), 2,
         "auction-replay: lot no-such-lot: not in the journal\n");
  expect(replay_cli({"--data-dir", run.path(), "report", "--lot", "bad id!"}), 2,
         "auction-replay: --lot: invalid id \"bad id!\"\n");
  expect(replay_cli({"--data-dir", run.path(), "export", "--table", "orders"}), 2,
         "auction-replay: " + run.path() + ": no settlement store (settlement/data.mdb)\n");
  const CommandResult format = replay_cli({"--data-dir", run.path(), "export", "--format", "xml"});
  CHECK(format.exit_code == 2);
  CHECK(format.err.find("--format") != std::string::npos);
  for (const char* sub : {"verify", "check", "state", "export", "report"}) {
    const CommandResult help = replay_cli({sub, "--help"});
    CHECK(help.exit_code == 0);
    CHECK(help.out.find("Usage") != std::string::npos);
  }
}

TEST_CASE("replay CLI: works on a copy and beside a live writer") {
  TempDir data;
  std::unique_ptr<Journal> journal;
  REQUIRE(
      Journal::open(JournalOptions{data.sub("journal"), std::size_t{64} << 20}, journal).is_ok());
  Engine engine;
  ManualClock clock(kT0);
  CollectingSink sink;
  Pipeline pipeline(engine, *journal, clock, sink, journal->chain().digest);
  pipeline.start(false);
  Generator generator(test_seed());
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; i < 200'000 && !stop; ++i) {
      clock.advance(3);
      pipeline.submit(generator.next(clock.now_ms()), static_cast<std::uint64_t>(i + 1));
      if (i % 100 == 0) std::this_thread::sleep_for(1ms);
    }
  });
  std::this_thread::sleep_for(100ms);
  for (int round = 0; round < 3; ++round) {
    for (const char* command : {"verify", "check", "export"}) {
      const CommandResult result = replay_cli({"--data-dir", data.path(), "--quiet", command});
      CHECK_MESSAGE(result.exit_code == 0, command << ": " << result.err);
    }
  }
  stop = true;
  writer.join();
  pipeline.stop();
  journal.reset();  // closed: no file of it changes while it is copied
  TempDir copy;
  std::filesystem::copy(
      data.path(), copy.path(),
      std::filesystem::copy_options::recursive | std::filesystem::copy_options::overwrite_existing);
  const CommandResult result = replay_cli({"--data-dir", copy.path(), "--json", "check"});
  CHECK_MESSAGE(result.exit_code == 0, result.err);
  char digest[17];
  std::snprintf(digest, sizeof(digest), "%016llx",
                static_cast<unsigned long long>(engine.state_digest()));
  CHECK(result.out.find(std::string("\"state_digest\":\"") + digest + "\"") != std::string::npos);
}

TEST_CASE(
    "replay CLI: export --table lots gives each lot once, as the engine holds it at the end") {
  INFO("seed " << test_seed());
  SeededRun& run = shared_run();
  const CommandResult check = replay_cli({"--data-dir", run.path(), "--json", "check"});
  REQUIRE_MESSAGE(check.exit_code == 0, check.err);
  simdjson::ondemand::parser parser;
  simdjson::padded_string check_json(check.out);
  auto check_doc = parser.iterate(check_json);
  const std::uint64_t lots = std::uint64_t(check_doc["lots"]);
  const std::uint64_t sold = std::uint64_t(check_doc["sold"]);
  REQUIRE(lots > 10);

  const CommandResult csv = replay_cli({"--data-dir", run.path(), "export", "--table", "lots"});
  REQUIRE_MESSAGE(csv.exit_code == 0, csv.err);
  const auto rows = parse_csv(csv.out);
  REQUIRE(rows.size() == lots + 1);
  CHECK(std::vector<std::string>(rows[0].begin(), rows[0].begin() + 5) ==
        std::vector<std::string>{"lot", "title", "seller", "currency", "minor_unit"});
  std::set<std::string> ids;
  std::uint64_t sold_rows = 0;
  const auto column = [&](const char* name) {
    return static_cast<std::size_t>(std::find(rows[0].begin(), rows[0].end(), name) -
                                    rows[0].begin());
  };
  for (std::size_t i = 1; i < rows.size(); ++i) {
    CAPTURE(i);
    REQUIRE(rows[i].size() == rows[0].size());
    ids.insert(rows[i][0]);
    const bool is_sold = rows[i][column("outcome")] == "sold";
    sold_rows += is_sold;
    CHECK(is_sold == !rows[i][column("winner")].empty());
    if (is_sold) CHECK_FALSE(rows[i][column("price")].empty());
    const std::string& currency = rows[i][column("currency")];
    CHECK_MESSAGE((currency == "EUR" || currency == "CNY"), currency);  // the run's currencies
    CHECK(rows[i][column("minor_unit")] == "2");                        // both have cents
    CHECK(rows[i][column("starts_at")].back() == 'Z');
  }
  CHECK(ids.size() == lots);  // each lot once
  CHECK(sold_rows == sold);

  // One lot's row against `state` at the journal's end.
  const std::string lot = rows[rows.size() / 2][0];
  const CommandResult state = replay_cli({"--data-dir", run.path(), "--json", "state", "--at",
                                          std::to_string(run.last_seq), "--lot", lot});
  REQUIRE_MESSAGE(state.exit_code == 0, state.err);
  simdjson::padded_string state_json(state.out);
  auto state_doc = parser.iterate(state_json);
  simdjson::ondemand::object shown;
  for (auto value : state_doc["lots"].get_array()) {
    shown = value.get_object();
    break;
  }
  const auto& row = rows[rows.size() / 2];
  CHECK(json_field(shown, "phase") == row[column("phase")]);
  CHECK(json_field(shown, "price") == row[column("price")]);
  CHECK(json_field(shown, "bids") == row[column("bids")]);
}
