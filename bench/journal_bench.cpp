// journal_bench: durability figures on a real LMDB directory on disk.
//
//   BM_JournalDurable   bids through the whole pipeline (sequencing, engine, group-committed
//                       fsync'd journal); a command counts once its answer is released.
//   BM_ChainDigest      the chain digest of one bid record (the writer thread does it per record).
//   BM_JournalWrite/N   raw journal: batches of N pre-encoded records, one fsync'd commit each.
//   BM_Replay           records read back from the journal, decoded and applied to an engine.
//   BM_Restart          a server with 10 million journaled commands and its snapshots:
//                       open, load the newest snapshot, replay the tail (what start-up does).
// The directory is created under $AUCTION_BENCH_DIR (default: the system temp directory).
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <thread>

#include "auction/persistence/journal.h"
#include "auction/persistence/pipeline.h"
#include "auction/persistence/record_codec.h"
#include "auction/persistence/recovery.h"
#include "auction/persistence/snapshot_store.h"
#include "bench_support.h"

namespace {

using namespace auction;
using namespace auction::persistence;
using auction::bench::bench_lot;
using auction::bench::BenchDir;
using auction::bench::kT0;

constexpr int kLots = 1'000;

LotId lot_name(int i) {
  return *LotId::parse("lot-" + std::to_string(i));
}

// The workload of the peers comparison: 1,000 lots in extension, each bid the next valid raise.
class BidStream {
 public:
  BidStream() : next_(kLots, 1'000), turn_(kLots, 0) {}
  PlaceBid next() {
    const int lot = static_cast<int>(counter_++ % kLots);
    PlaceBid bid{lots_[lot], bidders_[turn_[lot]], next_[lot]};
    next_[lot] += 50;
    turn_[lot] ^= 1;
    return bid;
  }

 private:
  std::vector<LotId> lots_ = [] {
    std::vector<LotId> ids;
    for (int i = 0; i < kLots; ++i)
      ids.push_back(lot_name(i));
    return ids;
  }();
  UserId bidders_[2] = {*UserId::parse("alice"), *UserId::parse("bob")};
  std::vector<AmountMinor> next_;
  std::vector<std::uint8_t> turn_;
  std::uint64_t counter_ = 0;
};

class CountingOutcomes final : public OutcomeSink {
 public:
  void on_durable(std::span<const CommandOutcome> outcomes) override {
    released.fetch_add(outcomes.size());
  }
  void on_refused(std::uint64_t) override { refused.fetch_add(1); }
  std::atomic<std::uint64_t> released{0};
  std::atomic<std::uint64_t> refused{0};
};

std::unique_ptr<Journal> open_journal(const std::string& dir) {
  std::unique_ptr<Journal> journal;
  if (!Journal::open(JournalOptions{dir, std::size_t{32} << 30, false}, journal).is_ok()) {
    std::abort();
  }
  return journal;
}

// Writes `commands` to the journal directly in large batches (for fixtures).
void fill_journal(Journal& journal, std::vector<Command>& pending, ChainDigest& chain) {
  std::vector<std::string> records(pending.size());
  std::vector<std::string_view> views;
  for (std::size_t i = 0; i < pending.size(); ++i) {
    encode_record(pending[i], records[i]);
    views.push_back(records[i]);
    chain.add(records[i]);
  }
  if (!journal.write(JournalBatch{views, pending.back().seq, chain.value(), {}}).is_ok() ||
      !journal.sync().is_ok()) {
    std::abort();
  }
  pending.clear();
}

// Builds a journal of `total` commands (1,000 lot creations, then bids) and, like the running
// server's snapshotter, a snapshot every `snapshot_every` commands before `last_snapshot_before`.
void build_history(Journal& journal, SnapshotStore* snapshots, std::uint64_t total,
                   std::uint64_t snapshot_every, std::uint64_t last_snapshot_before) {
  Engine engine(EngineLimits{kLots + 8, 1'000});
  class Discard final : public EventSink {
    void on_event(const Event&) override {}
  } discard;
  ChainDigest chain;
  BidStream bids;
  std::vector<Command> pending;
  for (Seq seq = 1; seq <= total; ++seq) {
    const TimeMs ts_ms = kT0 + static_cast<TimeMs>(seq / 1'000);
    Command command{seq, ts_ms,
                    seq <= kLots ? CommandBody{CreateLot{bench_lot(static_cast<int>(seq - 1))}}
                                 : CommandBody{bids.next()}};
    engine.apply(command, discard);
    pending.push_back(std::move(command));
    if (pending.size() == 10'000) fill_journal(journal, pending, chain);
    if (snapshots != nullptr && seq % snapshot_every == 0 && seq < last_snapshot_before) {
      if (!pending.empty()) fill_journal(journal, pending, chain);
      if (!snapshots->put(seq, engine.state_digest(), engine.snapshot()).is_ok()) std::abort();
    }
  }
  if (!pending.empty()) fill_journal(journal, pending, chain);
}

void BM_JournalDurable(benchmark::State& state) {
  BenchDir dir;
  auto journal = open_journal(dir.sub("journal"));
  Engine engine(EngineLimits{kLots + 8, 1'000});
  CountingOutcomes outcomes;
  SystemClock clock;
  Pipeline pipeline(engine, *journal, clock, outcomes, Digest256{});
  pipeline.start(false);
  for (int i = 0; i < kLots; ++i)
    pipeline.submit(CreateLot{bench_lot(i)}, 1);
  BidStream bids;
  constexpr std::uint64_t kBlock = 200'000;
  std::uint64_t submitted = kLots;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    for (std::uint64_t i = 0; i < kBlock; ++i) {
      PlaceBid bid = bids.next();
      while (!pipeline.submit(bid, 2))
        std::this_thread::yield();  // queue full: back off
      ++submitted;
    }
    while (outcomes.released.load() < submitted)
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  pipeline.stop();
  const PipelineStats stats = pipeline.stats();
  state.counters["commands_per_commit"] =
      static_cast<double>(stats.durable_seq) /
      static_cast<double>(std::max<std::uint64_t>(stats.batches, 1));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBlock));
}
BENCHMARK(BM_JournalDurable)->UseManualTime()->Unit(benchmark::kMillisecond)->MinTime(3);

void BM_ChainDigest(benchmark::State& state) {
  BidStream bids;
  std::string record;
  encode_record(Command{1, kT0, bids.next()}, record);
  ChainDigest chain;
  for (auto _ : state) {
    benchmark::DoNotOptimize(chain.add(record));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel(std::to_string(record.size()) + " bytes a record");
}
BENCHMARK(BM_ChainDigest);

void BM_JournalWrite(benchmark::State& state) {
  BenchDir dir;
  auto journal = open_journal(dir.sub("journal"));
  const auto batch = static_cast<std::size_t>(state.range(0));
  BidStream bids;
  ChainDigest chain;
  Seq seq = 0;
  std::vector<std::string> records(batch);
  std::vector<std::string_view> views(batch);
  for (auto _ : state) {
    for (std::size_t i = 0; i < batch; ++i) {
      records[i].clear();
      encode_record(Command{++seq, kT0, bids.next()}, records[i]);
      views[i] = records[i];
      chain.add(records[i]);
    }
    if (!journal->write(JournalBatch{views, seq, chain.value(), {}}).is_ok() ||
        !journal->sync().is_ok()) {
      state.SkipWithError("journal write failed");
      break;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
}
BENCHMARK(BM_JournalWrite)->Arg(1)->Arg(100)->Arg(1'000)->Arg(10'000)->UseRealTime();

void BM_Replay(benchmark::State& state) {
  BenchDir dir;
  auto journal = open_journal(dir.sub("journal"));
  constexpr std::uint64_t kCommands = 1'000'000;
  build_history(*journal, nullptr, kCommands, 0, 0);
  for (auto _ : state) {
    Engine engine(EngineLimits{kLots + 8, 1'000});
    std::uint64_t replayed = 0;
    if (!replay_journal(engine, *journal, std::numeric_limits<Seq>::max(), nullptr, replayed)
             .is_ok() ||
        replayed != kCommands) {
      state.SkipWithError("replay failed");
      break;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kCommands));
}
BENCHMARK(BM_Replay)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Restart(benchmark::State& state) {
  BenchDir dir;
  const auto total = static_cast<std::uint64_t>(state.range(0));
  {
    auto journal = open_journal(dir.sub("journal"));
    std::unique_ptr<SnapshotStore> snapshots;
    if (!SnapshotStore::open(dir.sub("snapshots"), false, snapshots).is_ok()) std::abort();
    // Snapshots every 1,000,000 commands (the snapshotter's default), the newest one a whole
    // interval before the end: the worst case of that cadence.
    build_history(*journal, snapshots.get(), total, 1'000'000, total - 1);
  }
  for (auto _ : state) {
    std::unique_ptr<Journal> journal;
    std::unique_ptr<SnapshotStore> snapshots;
    if (!Journal::open(JournalOptions{dir.sub("journal"), std::size_t{32} << 30, false}, journal)
             .is_ok() ||
        !SnapshotStore::open(dir.sub("snapshots"), false, snapshots).is_ok()) {
      state.SkipWithError("open failed");
      break;
    }
    Engine engine(EngineLimits{kLots + 8, 1'000});
    RecoveryReport report;
    if (!recover(engine, *journal, snapshots.get(), report).is_ok() || report.last_seq != total) {
      state.SkipWithError("recovery failed");
      break;
    }
    state.counters["replayed_after_snapshot"] = static_cast<double>(report.replayed_commands);
  }
  state.counters["journaled_commands"] = static_cast<double>(total);
}
BENCHMARK(BM_Restart)->Arg(10'000'000)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
