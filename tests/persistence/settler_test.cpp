// The settlement consumer on real LMDB directories: it follows the engine journal, answers
// inputs only once durable, resumes after a restart without applying anything twice, lists the
// holds whose qualification a crash lost, and rebuilds the same state by replay.
#include <doctest/doctest.h>

#include <future>
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

LotConfig deposit_lot() {
  LotConfig config = lot_config("lot1");
  config.deposit_minor = 100;
  return config;
}

Answer settle(Settler& settler, InputBody body) {
  std::promise<Answer> answered;
  auto future = answered.get_future();
  REQUIRE(settler.submit(std::move(body), [&](const Answer& a) { answered.set_value(a); }));
  REQUIRE(future.wait_for(5s) == std::future_status::ready);
  return future.get();
}

void wait_for_cursor(Settler& settler, Seq seq) {
  settler.notify(seq);
  for (int i = 0; i < 500 && settler.stats().engine_cursor < seq; ++i)
    std::this_thread::sleep_for(10ms);
  // Read progress alone is committed lazily: an input forces a commit of the cursor.
  REQUIRE(settler.stats().engine_cursor >= seq);
}

TEST_CASE("settler: answers after commit, resumes exactly once, replays to the same digest") {
  TempDir dir;
  EngineJournal engine(dir.path() + "/journal");
  engine.append(kT0, CreateLot{deposit_lot()});
  std::unique_ptr<SettlementStore> store;
  REQUIRE(SettlementStore::open(dir.path() + "/settlement", false, store).is_ok());
  ManualClock clock(kT0);
  SettlerOptions options;
  options.check_every_batch = true;
  std::uint64_t digest = 0, transfers = 0;
  {
    Settler settler(*engine.journal, nullptr, *store, clock, EngineLimits{}, options);
    REQUIRE(settler.start().is_ok());
    CHECK(settle(settler, Credit{user("alice"), *CurrencyCode::parse("EUR"), 1'000, "r1",
                                 CreditSource::webhook})
              .ok());
    const Answer held = settle(settler, Register{user("alice"), lot_id("lot1")});
    REQUIRE(held.ok());
    CHECK(held.held_minor == 100);
    // Durable when answered: a reader of the store sees it.
    CHECK(store->accounts("hold/alice/").size() == 1);
    engine.append(kT0 + 1, QualifyBidder{lot_id("lot1"), user("alice")});
    engine.append(kT0 + 2'000, PlaceBid{lot_id("lot1"), user("alice"), 100});
    engine.append(kT0 + 20'000, Tick{});  // closes: sold to alice at 100, deposit covers it
    wait_for_cursor(settler, engine.seq);
    settle(settler, SettleTick{});  // forces a commit
    settler.stop();
  }
  Settlement loaded;
  Seq cursor = 0;
  REQUIRE(store->load(loaded, cursor).is_ok());
  CHECK(cursor == engine.seq);
  REQUIRE(loaded.find_order(lot_id("lot1")) != nullptr);
  CHECK(loaded.find_order(lot_id("lot1"))->state == OrderState::paid);
  CHECK(loaded.check().empty());
  // The per-user index: the buyer and the seller see the order, nobody else does.
  const UserId alice = user("alice"), seller = user("seller"), bob = user("bob");
  CHECK(store->orders(&alice).size() == 1);
  CHECK(store->orders(&seller).size() == 1);
  CHECK(store->orders(&bob).empty());
  CHECK(store->orders().size() == 1);
  digest = loaded.digest();
  transfers = loaded.transfer_count();

  // A second settler over the same store and journal applies nothing again.
  {
    Settler again(*engine.journal, nullptr, *store, clock, EngineLimits{}, options);
    REQUIRE(again.start().is_ok());
    CHECK(again.holds_to_qualify().empty());
    again.stop();
  }
  Settlement reloaded;
  REQUIRE(store->load(reloaded, cursor).is_ok());
  CHECK(reloaded.digest() == digest);
  CHECK(reloaded.transfer_count() == transfers);

  Settlement replayed;
  REQUIRE(replay_settlement(*engine.journal, *store, EngineLimits{}, replayed).is_ok());
  CHECK(replayed.digest() == digest);
  LedgerAudit audit;
  REQUIRE(store->audit(audit).is_ok());
  CHECK(audit.problems.empty());
  CHECK(audit.transfers == transfers);
}

TEST_CASE("settler: a hold whose qualification never reached the engine is listed on restart") {
  TempDir dir;
  EngineJournal engine(dir.path() + "/journal");
  engine.append(kT0, CreateLot{deposit_lot()});
  std::unique_ptr<SettlementStore> store;
  REQUIRE(SettlementStore::open(dir.path() + "/settlement", false, store).is_ok());
  ManualClock clock(kT0);
  {
    Settler settler(*engine.journal, nullptr, *store, clock, EngineLimits{});
    REQUIRE(settler.start().is_ok());
    REQUIRE(settle(settler, Credit{user("bob"), *CurrencyCode::parse("EUR"), 500, "r1",
                                   CreditSource::operator_command})
                .ok());
    REQUIRE(settle(settler, Register{user("bob"), lot_id("lot1")}).ok());
    settler.stop();  // as if the process died before QualifyBidder was journaled
  }
  Settler restarted(*engine.journal, nullptr, *store, clock, EngineLimits{});
  REQUIRE(restarted.start().is_ok());
  REQUIRE(restarted.holds_to_qualify().size() == 1);
  CHECK(restarted.holds_to_qualify()[0] == std::pair{user("bob"), lot_id("lot1")});
  restarted.stop();
}

TEST_CASE("settlement input records: a flipped byte, an unknown version, truncation") {
  std::string record;
  encode_input_record(Input{1, kT0, 7, Pay{user("alice"), lot_id("lot1")}}, record);
  Input decoded;
  REQUIRE(decode_input_record(record, decoded).is_ok());
  CHECK(decoded == Input{1, kT0, 7, Pay{user("alice"), lot_id("lot1")}});
  for (std::size_t i = 0; i < record.size(); ++i) {
    std::string bad = record;
    bad[i] = static_cast<char>(bad[i] ^ 0x5A);
    const Status s = decode_input_record(bad, decoded);
    CHECK(s.code() == Status::Code::corruption);
  }
  CHECK(decode_input_record(std::string_view(record).substr(0, 10), decoded).code() ==
        Status::Code::corruption);
}

TEST_CASE("settler: a store ahead of the journal is refused at start") {
  TempDir dir;
  std::unique_ptr<SettlementStore> store;
  REQUIRE(SettlementStore::open(dir.path() + "/settlement", false, store).is_ok());
  Settlement state;
  REQUIRE(store->commit({}, state, Changes{}, 5).is_ok());  // cursor 5, journal empty
  EngineJournal engine(dir.path() + "/journal");
  ManualClock clock(kT0);
  Settler settler(*engine.journal, nullptr, *store, clock, EngineLimits{});
  const Status s = settler.start();
  CHECK(s.code() == Status::Code::corruption);
  CHECK(s.message().find("journal ends at 0") != std::string::npos);
}

}  // namespace
}  // namespace auction::testing
