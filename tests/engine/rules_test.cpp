// One test per rule of SPEC §1–5 and per reject code, boundaries included.
#include <doctest/doctest.h>

#include <limits>

#include "auction/engine/duration_text.h"
#include "harness.h"

using namespace auction;
using namespace auction::testing;

TEST_SUITE("identifiers and amounts") {
  TEST_CASE("ids are 1-32 characters of [A-Za-z0-9_-]") {
    CHECK(LotId::parse("a").has_value());
    CHECK(LotId::parse("Lot_42-b").has_value());
    CHECK(LotId::parse(std::string(32, 'x')).has_value());
    CHECK_FALSE(LotId::parse(std::string(33, 'x')).has_value());
    CHECK_FALSE(LotId::parse("").has_value());
    CHECK_FALSE(LotId::parse("a b").has_value());
    CHECK_FALSE(LotId::parse("lot.1").has_value());
    CHECK_FALSE(UserId::parse("j\xC3\xA9r\xC3\xB4me").has_value());
    CHECK(LotId::parse("abc")->view() == "abc");
  }

  TEST_CASE("amounts are integers from 1 to 10^15") {
    CHECK(is_valid_amount(1));
    CHECK(is_valid_amount(1'000'000'000'000'000));
    CHECK_FALSE(is_valid_amount(0));
    CHECK_FALSE(is_valid_amount(-1));
    CHECK_FALSE(is_valid_amount(1'000'000'000'000'001));
  }

  TEST_CASE("titles are 1-200 bytes of valid UTF-8") {
    CHECK(Title::parse("Vase \xE8\x8A\xB1\xE7\x93\xB6").has_value());
    CHECK(Title::parse(std::string(200, 'a')).has_value());
    CHECK_FALSE(Title::parse(std::string(201, 'a')).has_value());
    CHECK_FALSE(Title::parse("bad \xC3").has_value());              // truncated sequence
    CHECK_FALSE(Title::parse("over \xC0\xAF").has_value());         // overlong '/'
    CHECK_FALSE(Title::parse("sur \xED\xA0\x80").has_value());      // UTF-16 surrogate
    CHECK_FALSE(Title::parse("big \xF4\x90\x80\x80").has_value());  // above U+10FFFF
  }

  TEST_CASE("currency codes are three capital letters") {
    CHECK(CurrencyCode::parse("CNY").has_value());
    CHECK_FALSE(CurrencyCode::parse("eur").has_value());
    CHECK_FALSE(CurrencyCode::parse("EURO").has_value());
  }

  TEST_CASE("durations as people write them (SPEC §1), at most 366 days") {
    const auto ms = [](const char* text) {
      DurationMs value = -1;
      return parse_duration_ms(text, value) == DurationError::none ? value : -1;
    };
    CHECK(ms("0") == 0);
    CHECK(ms("1500ms") == 1'500);
    CHECK(ms("30s") == 30'000);
    CHECK(ms("5m") == 300'000);
    CHECK(ms("2h") == 7'200'000);
    CHECK(ms("1d") == 86'400'000);
    CHECK(ms("1h30m") == 5'400'000);
    CHECK(ms("366d") == kMaxDurationMs);
    DurationMs ignored = 0;
    CHECK(parse_duration_ms("367d", ignored) == DurationError::too_long);
    for (const char* bad : {"", "5", "5x", "m", "-5s", "1.5s", "5 s", "99999999999999s"})
      CHECK_MESSAGE(parse_duration_ms(bad, ignored) == DurationError::malformed, bad);
  }

  TEST_CASE("a currency's minor unit has the decimals of ISO 4217") {
    const auto digits = [](const char* code) {
      return CurrencyCode::parse(code)->minor_unit_digits();
    };
    CHECK(digits("EUR") == 2);
    CHECK(digits("CNY") == 2);
    CHECK(digits("JPY") == 0);
    CHECK(digits("KRW") == 0);
    CHECK(digits("BHD") == 3);
    CHECK(digits("KWD") == 3);
    CHECK(digits("XYZ") == 2);  // an unlisted code: two decimals, as most currencies
  }
}

TEST_SUITE("lot configuration") {
  TEST_CASE("a valid lot is created and reserve defaults to the start price") {
    Harness h;
    const auto events = h.create(lot_config());
    REQUIRE(events.size() == 1);
    const auto configured = bodies<LotConfigured>(events);
    REQUIRE(configured.size() == 1);
    CHECK(configured[0].created);
    CHECK(h.lot().config.reserve_minor == 100);
    CHECK(h.lot().phase == Phase::scheduled);
  }

  TEST_CASE("each invalid field is refused with its name and nothing is created") {
    struct Case {
      const char* field;
      void (*mutate)(LotConfig&);
    };
    const Case cases[] = {
        {"title", [](LotConfig& c) { c.title = Title{}; }},
        {"seller", [](LotConfig& c) { c.seller = UserId{}; }},
        {"currency", [](LotConfig& c) { c.currency = CurrencyCode{}; }},
        {"start_price", [](LotConfig& c) { c.start_price_minor = 0; }},
        {"start_price", [](LotConfig& c) { c.start_price_minor = 1'000'000'000'000'001; }},
        {"increment", [](LotConfig& c) { c.increment_minor = 0; }},
        {"increment", [](LotConfig& c) { c.increment_minor = -10; }},
        {"reserve", [](LotConfig& c) { c.reserve_minor = 99; }},
        {"deposit", [](LotConfig& c) { c.deposit_minor = -1; }},
        {"starts_at", [](LotConfig& c) { c.starts_at_ms = -5; }},
        {"timed", [](LotConfig& c) { c.timed_ms = -1; }},
        {"timed", [](LotConfig& c) { c.timed_ms = kMaxDurationMs + 1; }},
        {"extension", [](LotConfig& c) { c.extension_ms = -1; }},
        {"extension", [](LotConfig& c) { c.timed_ms = c.extension_ms = 0; }},
        {"latest_close_at", [](LotConfig& c) { c.latest_close_at_ms = c.starts_at_ms; }},
        {"starts_at", [](LotConfig& c) { c.starts_at_ms = kT0 - 20'000; }},  // over already
    };
    for (const Case& test : cases) {
      CAPTURE(test.field);
      Harness h;
      LotConfig config = lot_config();
      test.mutate(config);
      const auto events = h.create(config);
      CHECK(command_error(events) == CommandError::invalid_config);
      CHECK(config_problem_field(events) == test.field);
      CHECK(h.engine.find_lot(lot_id("lot1")) == nullptr);
    }
  }

  TEST_CASE("a lot that started in the past but is not over opens at once") {
    Harness h;
    LotConfig config = lot_config();
    config.starts_at_ms = kT0 - 2'000;
    const auto events = h.create(config);
    const auto phases = bodies<PhaseChanged>(events);
    REQUIRE(phases.size() == 1);
    CHECK(phases[0].phase == Phase::timed);
    CHECK(phases[0].deadline_ms == kT0 - 2'000 + 10'000);
  }

  TEST_CASE("duplicate lot ids are refused") {
    Harness h;
    h.create(lot_config());
    CHECK(command_error(h.create(lot_config())) == CommandError::lot_exists);
  }

  TEST_CASE("a lot can be edited only while scheduled") {
    Harness h;
    h.create(lot_config());
    LotConfig edited = lot_config();
    edited.start_price_minor = 500;
    edited.starts_at_ms = kT0 + 2'000;
    const auto events = h.run(kT0 + 10, EditLot{edited});
    REQUIRE_FALSE(command_error(events).has_value());
    CHECK(h.lot().config.start_price_minor == 500);
    CHECK(h.engine.next_deadline_ms() == kT0 + 2'000);
    CHECK(code_of(h.bid(kT0 + 1'500, "alice", 500)) == RejectCode::lot_not_open);
    CHECK(accepted(h.bid(kT0 + 2'000, "alice", 500)));
    CHECK(command_error(h.run(kT0 + 2'001, EditLot{edited})) == CommandError::lot_not_editable);
    CHECK(command_error(h.run(kT0 + 2'002, EditLot{lot_config("nope")})) ==
          CommandError::unknown_lot);
  }

  TEST_CASE("an invalid edit leaves the lot unchanged") {
    Harness h;
    h.create(lot_config());
    LotConfig edited = lot_config();
    edited.increment_minor = 0;
    CHECK(command_error(h.run(kT0 + 1, EditLot{edited})) == CommandError::invalid_config);
    CHECK(h.lot().config.increment_minor == 10);
  }
}

TEST_SUITE("phases and the clock") {
  TEST_CASE("before starts_at lot_not_open — exactly at starts_at admissible") {
    Harness h;
    h.create(lot_config());
    CHECK(code_of(h.bid(kStart - 1, "alice", 100)) == RejectCode::lot_not_open);
    CHECK(h.lot().phase == Phase::scheduled);
    const Event answer = h.bid(kStart, "alice", 100);
    CHECK(accepted(answer));
    CHECK(h.lot().phase == Phase::timed);
    CHECK(h.lot().deadline_ms == kTimedEnd);
  }

  TEST_CASE("timed phase: bids do not move the deadline — deadline - 1 ms is accepted") {
    Harness h;
    LotConfig config = lot_config();
    config.extension_ms = 0;  // timed-only: hard close
    h.create(config);
    CHECK(accepted(h.bid(kStart + 5, "alice", 100)));
    const Event last = h.bid(kTimedEnd - 1, "bob", 110);
    REQUIRE(accepted(last));
    CHECK(std::get<BidAccepted>(last.body).deadline_ms == kTimedEnd);
    CHECK(code_of(h.bid(kTimedEnd, "alice", 120)) == RejectCode::lot_closed);
    CHECK(h.lot().phase == Phase::closed);
    CHECK(h.lot().outcome == Outcome::sold);
    CHECK(h.lot().leader == user("bob"));
    CHECK(h.lot().closed_at_ms == kTimedEnd);
  }

  TEST_CASE("a bid at or after the deadline is lot_closed even before the close is announced") {
    Harness h;
    LotConfig config = lot_config();
    config.extension_ms = 0;
    h.create(config);
    h.tick(kStart);
    // No tick at the deadline: the bid itself finds the lot over.
    const auto events = h.run(kTimedEnd + 3, PlaceBid{lot_id("lot1"), user("alice"), 100});
    REQUIRE(events.size() == 3);
    CHECK(std::get<PhaseChanged>(events[0].body).phase == Phase::closed);
    CHECK(std::get<LotClosed>(events[1].body).closed_at_ms == kTimedEnd);
    CHECK(code_of(events[2]) == RejectCode::lot_closed);
  }

  TEST_CASE("timed to extension at the exact instant") {
    Harness h;
    h.create(lot_config());
    h.tick(kStart);
    CHECK(h.tick(kTimedEnd - 1).empty());
    CHECK(h.lot().phase == Phase::timed);
    const auto events = h.tick(kTimedEnd);
    REQUIRE(events.size() == 1);
    const auto& phase = std::get<PhaseChanged>(events[0].body);
    CHECK(phase.phase == Phase::extension);
    CHECK(phase.deadline_ms == kTimedEnd + 5'000);
  }

  TEST_CASE("a bid exactly at the end of the timed phase is an extension bid") {
    Harness h;
    h.create(lot_config());
    const Event answer = h.bid(kTimedEnd, "alice", 100);
    REQUIRE(accepted(answer));
    CHECK(h.lot().phase == Phase::extension);
    CHECK(std::get<BidAccepted>(answer.body).deadline_ms == kTimedEnd + 5'000);
  }

  TEST_CASE("extension: every accepted bid restarts the countdown, rejected bids never do") {
    Harness h;
    h.create(lot_config());
    h.tick(kTimedEnd);
    CHECK(accepted(h.bid(kTimedEnd + 1'000, "alice", 100)));
    CHECK(h.lot().deadline_ms == kTimedEnd + 6'000);
    CHECK(code_of(h.bid(kTimedEnd + 2'000, "bob", 105)) == RejectCode::below_minimum);
    CHECK(code_of(h.bid(kTimedEnd + 2'500, "alice", 200)) == RejectCode::already_leading);
    CHECK(h.lot().deadline_ms == kTimedEnd + 6'000);
    // deadline - 1 ms is still in time and restarts the countdown from there.
    CHECK(accepted(h.bid(kTimedEnd + 5'999, "bob", 110)));
    CHECK(h.lot().deadline_ms == kTimedEnd + 10'999);
    CHECK(h.engine.next_deadline_ms() == kTimedEnd + 10'999);
    CHECK(code_of(h.bid(kTimedEnd + 10'999, "alice", 120)) == RejectCode::lot_closed);
    CHECK(h.lot().outcome == Outcome::sold);
    CHECK(h.lot().price_minor == 110);
    CHECK(h.lot().closed_at_ms == kTimedEnd + 10'999);
  }

  TEST_CASE("extension-only mode enters extension at the start") {
    Harness h;
    LotConfig config = lot_config();
    config.timed_ms = 0;
    h.create(config);
    const auto events = h.tick(kStart);
    REQUIRE(events.size() == 1);
    CHECK(std::get<PhaseChanged>(events[0].body).phase == Phase::extension);
    CHECK(std::get<PhaseChanged>(events[0].body).deadline_ms == kStart + 5'000);
  }

  TEST_CASE("no bid at all: unsold at the end of the extension") {
    Harness h;
    h.create(lot_config());
    const auto events = h.tick(kTimedEnd + 5'000);
    const auto closed = bodies<LotClosed>(events);
    REQUIRE(closed.size() == 1);
    CHECK(closed[0].outcome == Outcome::unsold);
    CHECK(closed[0].winner.empty());
    CHECK(closed[0].closed_at_ms == kTimedEnd + 5'000);
    // Opened, entered extension, closed: in order, in one command.
    const auto phases = bodies<PhaseChanged>(events);
    REQUIRE(phases.size() == 3);
    CHECK(phases[0].phase == Phase::timed);
    CHECK(phases[1].phase == Phase::extension);
    CHECK(phases[2].phase == Phase::closed);
  }

  TEST_CASE("latest_close_at closes the lot whatever the countdown") {
    Harness h;
    LotConfig config = lot_config();
    config.latest_close_at_ms = kTimedEnd + 3'000;
    h.create(config);
    h.tick(kTimedEnd);
    CHECK(h.lot().deadline_ms == kTimedEnd + 3'000);  // capped already
    CHECK(accepted(h.bid(kTimedEnd + 2'000, "alice", 100)));
    CHECK(h.lot().deadline_ms == kTimedEnd + 3'000);  // the bid does not pass the cap
    CHECK(code_of(h.bid(kTimedEnd + 3'000, "bob", 110)) == RejectCode::lot_closed);
    CHECK(h.lot().closed_at_ms == kTimedEnd + 3'000);
  }

  TEST_CASE("latest_close_at inside the timed phase closes it without extension") {
    Harness h;
    LotConfig config = lot_config();
    config.latest_close_at_ms = kStart + 4'000;
    h.create(config);
    h.tick(kStart);
    CHECK(h.lot().deadline_ms == kStart + 4'000);
    const auto events = h.tick(kStart + 4'000);
    CHECK(bodies<LotClosed>(events).size() == 1);
    CHECK(bodies<PhaseChanged>(events).size() == 1);  // closed, never extension
  }

  TEST_CASE("two lots due at the same instant close in creation order") {
    Harness h;
    h.create(lot_config("b"));
    h.create(lot_config("a"));
    const auto closed = bodies<LotClosed>(h.tick(kTimedEnd + 5'000));
    REQUIRE(closed.size() == 2);
    CHECK(closed[0].lot == lot_id("b"));
    CHECK(closed[1].lot == lot_id("a"));
  }
}

TEST_SUITE("pause, resume, cancel") {
  TEST_CASE("pause freezes the remaining time and resume restores it") {
    Harness h;
    h.create(lot_config());
    h.tick(kTimedEnd);
    CHECK(accepted(h.bid(kTimedEnd + 1'000, "alice", 100)));  // deadline = kTimedEnd + 6000
    const auto paused = h.run(kTimedEnd + 2'500, PauseLot{lot_id("lot1")});
    REQUIRE(bodies<PhaseChanged>(paused).size() == 1);
    CHECK(bodies<PhaseChanged>(paused)[0].phase == Phase::paused);
    CHECK(h.lot().paused_remaining_ms == 3'500);
    CHECK_FALSE(h.engine.next_deadline_ms().has_value());
    CHECK(code_of(h.bid(kTimedEnd + 60'000, "bob", 110)) == RejectCode::lot_paused);
    CHECK(h.tick(kTimedEnd + 90'000).empty());  // no close while paused
    const auto resumed = h.run(kTimedEnd + 100'000, ResumeLot{lot_id("lot1")});
    const auto phase = bodies<PhaseChanged>(resumed).at(0);
    CHECK(phase.phase == Phase::extension);
    CHECK(phase.deadline_ms == kTimedEnd + 103'500);
    CHECK(accepted(h.bid(kTimedEnd + 103'499, "bob", 110)));
  }

  TEST_CASE("pausing in the timed phase resumes in the timed phase") {
    Harness h;
    h.create(lot_config());
    h.run(kStart + 4'000, PauseLot{lot_id("lot1")});
    h.run(kStart + 50'000, ResumeLot{lot_id("lot1")});
    CHECK(h.lot().phase == Phase::timed);
    CHECK(h.lot().deadline_ms == kStart + 56'000);
  }

  TEST_CASE("pause and resume refusals") {
    Harness h;
    h.create(lot_config());
    CHECK(command_error(h.run(kT0, PauseLot{lot_id("lot1")})) == CommandError::lot_not_open);
    CHECK(command_error(h.run(kT0, PauseLot{lot_id("zzz")})) == CommandError::unknown_lot);
    CHECK(command_error(h.run(kStart, ResumeLot{lot_id("lot1")})) == CommandError::lot_not_paused);
    h.run(kStart + 1, PauseLot{lot_id("lot1")});
    CHECK(command_error(h.run(kStart + 2, PauseLot{lot_id("lot1")})) == CommandError::lot_paused);
    h.run(kStart + 3, CancelLot{lot_id("lot1")});
    CHECK(command_error(h.run(kStart + 4, ResumeLot{lot_id("lot1")})) == CommandError::lot_closed);
    CHECK(command_error(h.run(kStart + 5, PauseLot{lot_id("lot1")})) == CommandError::lot_closed);
  }

  TEST_CASE("a paused lot still closes at latest_close_at") {
    Harness h;
    LotConfig config = lot_config();
    config.latest_close_at_ms = kStart + 20'000;
    h.create(config);
    CHECK(accepted(h.bid(kStart, "alice", 100)));
    h.run(kStart + 1'000, PauseLot{lot_id("lot1")});
    CHECK(h.engine.next_deadline_ms() == kStart + 20'000);
    const auto closed = bodies<LotClosed>(h.tick(kStart + 20'000));
    REQUIRE(closed.size() == 1);
    CHECK(closed[0].outcome == Outcome::sold);
  }

  TEST_CASE("cancel is terminal: no winner, later bids lot_closed") {
    Harness h;
    h.create(lot_config());
    CHECK(accepted(h.bid(kStart, "alice", 100)));
    const auto events = h.run(kStart + 10, CancelLot{lot_id("lot1")});
    const auto closed = bodies<LotClosed>(events);
    REQUIRE(closed.size() == 1);
    CHECK(closed[0].outcome == Outcome::cancelled);
    CHECK(closed[0].winner.empty());
    CHECK(h.lot().phase == Phase::cancelled);
    CHECK(code_of(h.bid(kStart + 20, "bob", 110)) == RejectCode::lot_closed);
    CHECK(command_error(h.run(kStart + 30, CancelLot{lot_id("lot1")})) == CommandError::lot_closed);
    CHECK_FALSE(h.engine.next_deadline_ms().has_value());
  }

  TEST_CASE("a scheduled lot can be cancelled") {
    Harness h;
    h.create(lot_config());
    h.run(kT0 + 1, CancelLot{lot_id("lot1")});
    CHECK(h.tick(kStart + 100'000).empty());
    CHECK(h.lot().phase == Phase::cancelled);
  }
}
