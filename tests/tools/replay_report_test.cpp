// auction-replay (issue 7), continued: the report's figures and its SVG, every bad input with its
// clear error, a copy and a live writer's journal, and the lots table of an export.
// AUCTION_SEED replays a seed; the seed is printed with every failure.
#include "replay_fixture.h"

using namespace auction;
using namespace auction::replay_testing;

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
