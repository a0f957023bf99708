// replay_bench: the analysts' tool over a 1,000,000-command journal on disk (issue 7).
//
//   BM_Verify        integrity walk: decode + checksum + chain digest (SHA-256) per record
//   BM_Check         the engine re-run over every record, each outcome hashed and compared
//   BM_ExportCsv     every event as a CSV row (to /dev/null)
//   BM_ExportJsonl   the same as JSON Lines
// Items are journal records (commands). The journal is what the pipeline writes: format 2, each
// record with its recorded outcome; 1,000 lots in their extension phase, then bids that each
// raise one of them (the peers workload). Directory under $AUCTION_BENCH_DIR (default: temp).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "auction/persistence/chain_digest.h"
#include "auction/persistence/journal.h"
#include "auction/persistence/outcome.h"
#include "auction/persistence/record_codec.h"
#include "bench_support.h"
#include "export.h"
#include "replay.h"

namespace {

using namespace auction;
using namespace auction::persistence;

using bench::bench_lot;
using bench::kT0;
constexpr int kLots = 1'000;
// $AUCTION_REPLAY_BENCH_COMMANDS shrinks the journal for the test suite's smoke run.
const std::uint64_t kCommands = [] {
  const char* text = std::getenv("AUCTION_REPLAY_BENCH_COMMANDS");
  return text != nullptr ? std::max<std::uint64_t>(std::strtoull(text, nullptr, 10), 2'000)
                         : std::uint64_t{1'000'000};
}();

class Collect final : public EventSink {
 public:
  void on_event(const Event& event) override { events.push_back(event); }
  std::vector<Event> events;
};

// A data directory with a journal of kCommands records, built once for all benchmarks.
class BenchData {
 public:
  BenchData() : files_("replay-bench") {
    build();
    if (!replay::DataDir::open(files_.path(), dir_).is_ok()) std::abort();
  }
  ~BenchData() { dir_ = {}; }  // close the environments before the directory goes
  const replay::DataDir& dir() const { return dir_; }

 private:
  void build() {
    std::unique_ptr<Journal> journal;
    if (!Journal::open(JournalOptions{files_.sub("journal"), std::size_t{4} << 30}, journal)
             .is_ok()) {
      std::abort();
    }
    Engine engine;
    Collect sink;
    OutcomeHasher hasher;
    ChainDigest chain;
    std::vector<AmountMinor> next(kLots, 1'000);
    const UserId bidders[2] = {*UserId::parse("alice"), *UserId::parse("bob")};
    std::vector<std::string> records;
    for (Seq seq = 1; seq <= kCommands; ++seq) {
      const int lot = static_cast<int>(seq % kLots);
      CommandBody body = CreateLot{bench_lot(lot)};
      if (seq > kLots) {
        body = PlaceBid{bench_lot(lot).id, bidders[(seq / kLots) % 2], next[lot]};
        next[lot] += 50;
      }
      const Command command{seq, kT0 + static_cast<TimeMs>(seq / 100), std::move(body)};
      sink.events.clear();
      engine.apply(command, sink);
      const RecordedOutcome outcome = hasher.digest(sink.events);
      records.emplace_back();
      encode_record(command, records.back(), &outcome);
      if (records.size() == 10'000) flush(*journal, chain, records, seq);
    }
  }
  static void flush(Journal& journal, ChainDigest& chain, std::vector<std::string>& records,
                    Seq last_seq) {
    std::vector<std::string_view> views(records.begin(), records.end());
    for (const std::string_view record : views)
      chain.add(record);
    if (!journal.write(JournalBatch{views, last_seq, chain.value(), {}}).is_ok() ||
        !journal.sync().is_ok()) {
      std::abort();
    }
    records.clear();
  }

  bench::BenchDir files_;  // $AUCTION_BENCH_KEEP keeps it, to time auction-replay itself on it
  replay::DataDir dir_;
};

const BenchData& data() {
  static BenchData instance;
  return instance;
}

void BM_Verify(benchmark::State& state) {
  for (auto _ : state) {
    replay::VerifyReport report;
    if (!replay::verify(data().dir(), report, nullptr).is_ok() || report.records != kCommands) {
      state.SkipWithError("verify failed");
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kCommands));
}
BENCHMARK(BM_Verify)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Check(benchmark::State& state) {
  for (auto _ : state) {
    replay::CheckReport report;
    if (!replay::check(data().dir(), report, nullptr).is_ok() || report.divergent_seq ||
        report.outcomes_compared != kCommands) {
      state.SkipWithError("check failed");
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kCommands));
}
BENCHMARK(BM_Check)->Unit(benchmark::kMillisecond)->UseRealTime();

void export_benchmark(benchmark::State& state, replay::Format format) {
  std::FILE* sink = std::fopen("/dev/null", "wb");
  std::uint64_t rows = 0;
  for (auto _ : state) {
    replay::ExportReport report;
    if (!replay::export_events(data().dir(), {}, format, sink, nullptr, report).is_ok() ||
        report.records != kCommands) {
      state.SkipWithError("export failed");
    }
    rows = report.rows;
  }
  std::fclose(sink);
  state.counters["rows"] = static_cast<double>(rows);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kCommands));
}
void BM_ExportCsv(benchmark::State& state) {
  export_benchmark(state, replay::Format::csv);
}
void BM_ExportJsonl(benchmark::State& state) {
  export_benchmark(state, replay::Format::jsonl);
}
BENCHMARK(BM_ExportCsv)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ExportJsonl)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
