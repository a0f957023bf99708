// Snapshot, restore and the state digest.
#include <doctest/doctest.h>

#include "harness.h"

using namespace auction;
using namespace auction::testing;

namespace {

Harness busy_engine() {
  Harness h;
  LotConfig deposit_lot = lot_config("dep");
  deposit_lot.deposit_minor = 1'000;
  deposit_lot.latest_close_at_ms = kT0 + 60'000;
  h.create(lot_config("a"));
  h.create(deposit_lot);
  h.run(kT0 + 5, QualifyBidder{lot_id("dep"), user("zoe"), QualifySource::waiver});
  h.bid(kT0 + 1'000, "alice", 100, "a");
  h.bid(kT0 + 1'001, "zoe", 100, "dep");
  h.run(kT0 + 2'000, PauseLot{lot_id("a")});
  return h;
}

}  // namespace

TEST_CASE("restore reproduces the state and the digest") {
  Harness h = busy_engine();
  const std::string bytes = h.engine.snapshot();
  Engine copy;
  REQUIRE(copy.restore(bytes).is_ok());
  CHECK(copy.state_digest() == h.engine.state_digest());
  CHECK(copy.last_seq() == h.engine.last_seq());
  CHECK(copy.now_ms() == h.engine.now_ms());
  REQUIRE(copy.lots().size() == h.engine.lots().size());
  for (std::size_t i = 0; i < copy.lots().size(); ++i)
    CHECK(copy.lots()[i] == h.engine.lots()[i]);
  CHECK(copy.is_qualified(lot_id("dep"), user("zoe")));
  CHECK(copy.snapshot() == bytes);
}

TEST_CASE("restore then continue equals never stopping") {
  Harness original = busy_engine();
  Harness restored;
  REQUIRE(restored.engine.restore(original.engine.snapshot()).is_ok());
  restored.seq = original.seq;
  for (Harness* h : {&original, &restored}) {
    h->run(kT0 + 3'000, ResumeLot{lot_id("a")});
    h->bid(kT0 + 20'000, "bob", 110, "a");
    h->tick(kT0 + 100'000);
  }
  CHECK(original.engine.state_digest() == restored.engine.state_digest());
  CHECK(original.lot("a").phase == Phase::closed);
}

TEST_CASE("the digest changes with any state change") {
  Harness h = busy_engine();
  const auto before = h.engine.state_digest();
  h.bid(kT0 + 2'100, "bob", 110, "dep");  // not qualified: only the clock moves
  const auto after_reject = h.engine.state_digest();
  CHECK(after_reject != before);
  h.run(kT0 + 2'200, QualifyBidder{lot_id("dep"), user("bob")});
  CHECK(h.engine.state_digest() != after_reject);
}

TEST_CASE("a corrupted, truncated or foreign snapshot is refused with a clear error") {
  Harness h = busy_engine();
  const std::string bytes = h.engine.snapshot();

  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x01;
  Engine a;
  const Status flipped_status = a.restore(flipped);
  CHECK_FALSE(flipped_status.is_ok());
  CHECK(flipped_status.message().find("checksum") != std::string::npos);
  CHECK(a.lots().empty());

  Engine b;
  CHECK_FALSE(b.restore(bytes.substr(0, bytes.size() - 9)).is_ok());
  Engine c;
  const Status foreign = c.restore("hello world, not a snapshot");
  CHECK(foreign.message().find("magic") != std::string::npos);
  Engine d(EngineLimits{1, 10});
  const Status too_many = d.restore(bytes);
  CHECK(too_many.message().find("max_lots") != std::string::npos);
}
