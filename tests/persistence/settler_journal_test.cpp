// Settlement inputs carried by the engine journal (a replicated shard's, SPEC §11): every
// settler over the same journal applies them at the same seqs and reaches the same state, gives
// the same answers, and sequences nothing of its own (its tick and configuration are proposed).
#include <doctest/doctest.h>

#include <map>
#include <mutex>
#include <thread>

#include "../engine/harness.h"
#include "auction/persistence/chain_digest.h"
#include "auction/persistence/journal.h"
#include "auction/persistence/record_codec.h"
#include "auction/persistence/settler.h"
#include "engine_journal.h"
#include "temp_dir.h"

namespace auction::testing {
namespace {

using namespace persistence;
using namespace settlement;
using namespace std::chrono_literals;

// A settlement input journaled as the next command, as a shard's leader journals it.
Seq journal_input(EngineJournal& engine, TimeMs ts_ms, const InputBody& body) {
  return engine.append(ts_ms, ExternalInput{encode_external_input(body)});
}

// A replica's settler: its own store, its answers by seq, what it proposed.
struct Replica final : SettlementListener {
  Replica(const std::string& directory, const Journal& journal, Clock& clock,
          const SettlementConfig& config) {
    REQUIRE(SettlementStore::open(directory, false, store).is_ok());
    SettlerOptions options;
    options.check_every_batch = true;
    options.inputs_from_journal = true;
    options.config = config;
    options.propose_interval = 0ms;
    options.propose = [this](InputBody body) {
      std::lock_guard lock(mutex);
      proposed.push_back(std::string(input_name(body)));
    };
    settler =
        std::make_unique<Settler>(journal, nullptr, *store, clock, EngineLimits{}, options, this);
    REQUIRE(settler->start().is_ok());
  }
  ~Replica() override { settler->stop(); }  // its thread calls back into this object
  void on_orders(std::span<const Order>) override {}
  void on_journal_answers(std::span<const std::pair<Seq, Answer>> given) override {
    std::lock_guard lock(mutex);
    for (const auto& [seq, answer] : given)
      answers[seq] = answer.error;
  }
  // Waits until the input journaled at `seq` is answered.
  std::optional<SettleError> answer(Seq seq) {
    settler->notify(seq);
    for (int i = 0; i < 500; ++i) {
      {
        std::lock_guard lock(mutex);
        if (const auto found = answers.find(seq); found != answers.end()) return found->second;
      }
      std::this_thread::sleep_for(10ms);
    }
    return std::nullopt;
  }
  std::size_t proposals(std::string_view name) {
    std::lock_guard lock(mutex);
    return static_cast<std::size_t>(std::count(proposed.begin(), proposed.end(), name));
  }

  std::unique_ptr<SettlementStore> store;
  std::unique_ptr<Settler> settler;
  std::mutex mutex;
  std::map<Seq, SettleError> answers;
  std::vector<std::string> proposed;
};

TEST_CASE("settler: inputs in the journal are applied at their seq, alike on every replica") {
  TempDir dir;
  EngineJournal engine(dir.path() + "/journal");
  LotConfig lot = lot_config("lot1");
  lot.deposit_minor = 100;
  engine.append(kT0, CreateLot{lot});
  ManualClock clock(kT0);
  SettlementConfig config;
  config.fee_bps = 250;  // not the default: each replica proposes it, and applies it only journaled
  Replica a(dir.path() + "/a", *engine.journal, clock, config);
  Replica b(dir.path() + "/b", *engine.journal, clock, config);

  // Nothing goes in around the journal.
  CHECK_FALSE(a.settler->submit(SettleTick{}, [](const Answer&) {}));
  CHECK(a.proposals("configure") >= 1);
  CHECK(a.store->accounts("").empty());

  const CurrencyCode eur = *CurrencyCode::parse("EUR");
  const Seq credit = journal_input(
      engine, kT0 + 1, Credit{user("alice"), eur, 1'000, "wire-1", CreditSource::webhook});
  const Seq hold = journal_input(engine, kT0 + 2, Register{user("alice"), lot_id("lot1")});
  engine.append(kT0 + 3, QualifyBidder{lot_id("lot1"), user("alice")});
  const Seq again = journal_input(
      engine, kT0 + 4, Credit{user("alice"), eur, 1'000, "wire-1", CreditSource::webhook});
  const Seq poor = journal_input(engine, kT0 + 5, Register{user("bob"), lot_id("lot1")});
  const Seq configure = journal_input(engine, kT0 + 6, Configure{config});
  engine.append(kT0 + 2'000, PlaceBid{lot_id("lot1"), user("alice"), 100});
  engine.append(kT0 + 20'000, Tick{});  // sold to alice at 100

  for (Replica* replica : {&a, &b}) {
    CHECK(replica->answer(credit) == SettleError::ok);
    CHECK(replica->answer(hold) == SettleError::ok);
    CHECK(replica->answer(again) == SettleError::duplicate_reference);  // booked once
    CHECK(replica->answer(poor) == SettleError::insufficient_funds);
    CHECK(replica->answer(configure) == SettleError::ok);
  }
  a.settler->notify(engine.seq);
  b.settler->notify(engine.seq);
  for (int i = 0; i < 500 && (a.settler->stats().engine_cursor < engine.seq ||
                              b.settler->stats().engine_cursor < engine.seq);
       ++i) {
    std::this_thread::sleep_for(10ms);
  }
  a.settler->stop();
  b.settler->stop();
  Settlement state_a, state_b;
  Seq cursor_a = 0, cursor_b = 0;
  REQUIRE(a.store->load(state_a, cursor_a).is_ok());
  REQUIRE(b.store->load(state_b, cursor_b).is_ok());
  CHECK(cursor_a == engine.seq);
  CHECK(cursor_b == engine.seq);
  CHECK(state_a.digest() == state_b.digest());
  CHECK(state_a.config() == config);
  REQUIRE(state_a.find_order(lot_id("lot1")) != nullptr);
  CHECK(state_a.check().empty());
  // The store's own input journal replays to the same state (auction-replay on any node).
  Settlement replayed;
  REQUIRE(replay_settlement(*engine.journal, *a.store, EngineLimits{}, replayed).is_ok());
  CHECK(replayed.digest() == state_a.digest());
}

TEST_CASE("settler: a journal record that is no settlement input stops it, named") {
  TempDir dir;
  EngineJournal engine(dir.path() + "/journal");
  engine.append(kT0, ExternalInput{"not an input"});
  std::unique_ptr<SettlementStore> store;
  REQUIRE(SettlementStore::open(dir.path() + "/settlement", false, store).is_ok());
  ManualClock clock(kT0);
  Settler settler(*engine.journal, nullptr, *store, clock, EngineLimits{});
  const Status s = settler.start();
  CHECK_FALSE(s.is_ok());
  CHECK(s.message().find("seq 1: not a settlement input") != std::string::npos);
  Settlement state;
  Seq cursor = 0;
  REQUIRE(store->load(state, cursor).is_ok());
  CHECK(cursor == 0);  // nothing of it committed
}

}  // namespace
}  // namespace auction::testing
