// settlement_bench: how fast the settlement consumer follows the engine journal, with durable
// (fsync'd) commits of its state and read position, on a real LMDB directory on disk.
//
//   BM_SettlerCatchUp/N   a settler starting from nothing reads a journal of 1,000,000 engine
//                         commands (1,000 lots, bids on every lot, every lot closing sold:
//                         1,000 orders) and commits every N records; events/s counts the engine
//                         events it consumed (what the floor is about).
//   BM_SettleInputs       settlement's own inputs (credits) submitted from another thread, each
//                         answered once its group commit is durable.
// The directory is created under $AUCTION_BENCH_DIR (default: the system temp directory).
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "auction/persistence/chain_digest.h"
#include "auction/persistence/journal.h"
#include "auction/persistence/record_codec.h"
#include "auction/persistence/settler.h"
#include "bench_support.h"

namespace {

using namespace auction;
using namespace auction::persistence;

using bench::kT0;
constexpr DurationMs kDayMs = 24LL * 3'600 * 1'000;
constexpr int kLots = 1'000;
constexpr int kCommands = 1'000'000;

std::filesystem::path bench_root() {
  const char* base = std::getenv("AUCTION_BENCH_DIR");
  return base != nullptr ? std::filesystem::path(base) : std::filesystem::temp_directory_path();
}

std::string fresh_dir(const char* name) {
  std::string pattern = (bench_root() / (std::string("auction-") + name + "-XXXXXX")).string();
  return mkdtemp(pattern.data());
}

class Counting final : public EventSink {
 public:
  void on_event(const Event&) override { ++events; }
  std::uint64_t events = 0;
};

// The engine journal every run reads: written once, kept for the process's lifetime.
struct JournalFixture {
  JournalFixture() : directory(fresh_dir("settle-journal")) {
    if (!Journal::open({directory, std::size_t{4} << 30}, journal).is_ok()) std::abort();
    Engine engine;
    ChainDigest chain;
    std::string records;
    std::vector<std::size_t> ends;
    std::vector<std::string_view> views;
    Seq seq = 0;
    const auto flush = [&] {
      views.clear();
      std::size_t begin = 0;
      Digest256 after{};
      for (const std::size_t end : ends) {
        views.emplace_back(records.data() + begin, end - begin);
        after = chain.add(views.back());
        begin = end;
      }
      if (!journal->write(JournalBatch{views, seq, after, {}}).is_ok() ||
          !journal->sync().is_ok()) {
        std::abort();
      }
      records.clear();
      ends.clear();
    };
    const auto add = [&](TimeMs ts_ms, CommandBody body) {
      const Command command{++seq, ts_ms, std::move(body)};
      encode_record(command, records);
      ends.push_back(records.size());
      engine.apply(command, counting);
      if (ends.size() == 10'000) flush();
    };
    for (int i = 0; i < kLots; ++i)
      add(kT0, CreateLot{bench::bench_lot(i)});
    const UserId bidders[] = {*UserId::parse("alice"), *UserId::parse("bob")};
    for (int n = 0; seq < kCommands - 1; ++n) {
      const int i = n % kLots, round = n / kLots;
      add(kT0 + 1 + n / 100, PlaceBid{*LotId::parse("lot-" + std::to_string(i)), bidders[round % 2],
                                      1'000 + 50 * round});
    }
    add(kT0 + 3 * kDayMs, Tick{});  // every lot closes, sold: 1,000 orders
    flush();
  }
  ~JournalFixture() {
    journal.reset();
    std::filesystem::remove_all(directory);
  }
  std::string directory;
  std::unique_ptr<Journal> journal;
  Counting counting;
};

JournalFixture& fixture() {
  static JournalFixture instance;
  return instance;
}

void BM_SettlerCatchUp(benchmark::State& state) {
  JournalFixture& f = fixture();
  std::uint64_t events = 0, commits = 0, orders = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const std::string directory = fresh_dir("settlement");
    {
      std::unique_ptr<SettlementStore> store;
      if (!SettlementStore::open(directory, false, store).is_ok()) std::abort();
      ManualClock clock(kT0 + 3 * kDayMs);
      SettlerOptions options;
      options.max_records_per_batch = static_cast<std::size_t>(state.range(0));
      state.ResumeTiming();
      Settler settler(*f.journal, nullptr, *store, clock, EngineLimits{}, options);
      if (!settler.start().is_ok()) std::abort();  // catches up on this thread
      settler.stop();
      state.PauseTiming();
      events += settler.stats().events;
      commits += settler.stats().commits;
      orders += store->orders().size();
    }
    std::filesystem::remove_all(directory);
    state.ResumeTiming();
  }
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["commits"] =
      static_cast<double>(commits) / static_cast<double>(state.iterations());
  state.counters["orders"] = static_cast<double>(orders) / static_cast<double>(state.iterations());
  state.counters["events_per_run"] = static_cast<double>(f.counting.events);
}
BENCHMARK(BM_SettlerCatchUp)
    ->Arg(1'000)
    ->Arg(100'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_SettleInputs(benchmark::State& state) {
  const std::string journal_dir = fresh_dir("settle-empty-journal");
  const std::string directory = fresh_dir("settlement-inputs");
  std::uint64_t answered_total = 0;
  {
    std::unique_ptr<Journal> journal;
    std::unique_ptr<SettlementStore> store;
    if (!Journal::open({journal_dir, std::size_t{1} << 30}, journal).is_ok() ||
        !SettlementStore::open(directory, false, store).is_ok()) {
      std::abort();
    }
    SystemClock clock;
    Settler settler(*journal, nullptr, *store, clock, EngineLimits{});
    if (!settler.start().is_ok()) std::abort();
    std::uint64_t reference = 0;
    constexpr int kBatch = 10'000;
    for (auto _ : state) {
      std::atomic<int> answered{0};
      for (int i = 0; i < kBatch;) {
        settlement::Credit credit{*UserId::parse("alice"), *CurrencyCode::parse("EUR"), 100,
                                  "r" + std::to_string(reference),
                                  settlement::CreditSource::webhook};
        if (settler.submit(std::move(credit), [&](const settlement::Answer&) { ++answered; })) {
          ++i;
          ++reference;
        }
      }
      while (answered.load() < kBatch)
        std::this_thread::yield();
      answered_total += kBatch;
    }
    settler.stop();
  }
  state.counters["inputs_per_s"] =
      benchmark::Counter(static_cast<double>(answered_total), benchmark::Counter::kIsRate);
  std::filesystem::remove_all(journal_dir);
  std::filesystem::remove_all(directory);
}
BENCHMARK(BM_SettleInputs)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
