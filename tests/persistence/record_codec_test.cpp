// The journal record format: round trips and every way a record can be bad.
#include <doctest/doctest.h>
#include <xxhash.h>

#include <cstring>

#include "../engine/harness.h"
#include "auction/persistence/outcome.h"
#include "auction/persistence/record_codec.h"

using namespace auction;
using namespace auction::persistence;
using namespace auction::testing;

namespace {

LotConfig with_rules(LotConfig config) {
  config.increment_minor = 0;
  config.increments = {{0, 10}, {5'000, 100}};
  config.max_bids = false;
  return config;
}

// A config as it stands after two priority grants (SPEC §4.3): its rules carry them.
LotConfig with_grants(LotConfig config) {
  config.priority = {PriorityGrant{user("tenant"), 1}, PriorityGrant{user("coowner"), 2}};
  return config;
}

std::vector<Command> one_of_each() {
  LotConfig config = lot_config("vase");
  config.deposit_minor = 500;
  config.latest_close_at_ms = kT0 + 99'000;
  return {
      Command{1, kT0, CreateLot{config}},
      Command{2, kT0 + 1, EditLot{config}},
      Command{3, kT0 + 2, QualifyBidder{lot_id("vase"), user("ann"), QualifySource::waiver}},
      Command{4, kT0 + 3, PlaceBid{lot_id("vase"), user("ann"), 1'000'000'000'000'000}},
      Command{5, kT0 + 4, PlaceBid{lot_id("vase"), user("bob"), -7}},  // invalid amounts too
      Command{6, kT0 + 5, PauseLot{lot_id("vase")}},
      Command{7, kT0 + 6, ResumeLot{lot_id("vase")}},
      Command{8, kT0 + 7, CancelLot{lot_id("vase")}},
      Command{9, kT0 + 8, Tick{}},
      Command{10, kT0 + 9, Restart{}},
      Command{11, kT0 + 10, CreateLots{{lot_config("a"), config, lot_config("b")}}},
      Command{12, kT0 + 11, ExternalInput{std::string("\x01settlement input\0bytes", 23)}},
      Command{13, kT0 + 12, PlaceMaxBid{lot_id("vase"), user("ann"), 1'000'000'000'000'000}},
      Command{14, kT0 + 13, CreateLot{with_rules(config)}},
      Command{15, kT0 + 14, CreateLots{{lot_config("a"), with_rules(lot_config("b"))}}},
      Command{16, kT0 + 15, GrantPriority{lot_id("vase"), user("tenant"), 2}},
      Command{17, kT0 + 16, GrantPriority{lot_id("vase"), user("tenant"), 4'000'000'000}},
      Command{18, kT0 + 17, EditLot{with_grants(config)}},
  };
}

}  // namespace

TEST_CASE("a lot without rules is written as before maximum bids existed (flags 0)") {
  std::string plain, ruled;
  encode_record(Command{1, kT0, CreateLot{lot_config("a")}}, plain);
  encode_record(Command{1, kT0, CreateLot{with_rules(lot_config("a"))}}, ruled);
  CHECK(plain[2] == 0);
  CHECK(plain[3] == 0);
  CHECK(ruled[2] == 1);                                  // the lot-rules flag, little-endian
  CHECK(ruled.size() == plain.size() + 2 + 2 * 16 + 1);  // band count, two bands, max_bids
  std::string unknown_flag = plain;
  unknown_flag[2] = 2;
  const std::uint64_t checksum = XXH3_64bits(unknown_flag.data(), unknown_flag.size() - 8);
  std::memcpy(unknown_flag.data() + unknown_flag.size() - 8, &checksum, 8);
  Command decoded;
  const Status status = decode_record(unknown_flag, decoded);
  CHECK(status.code() == Status::Code::corruption);
  CHECK(status.message() == "unknown flags 2");
  // The rules flag on a record without rules would decode to a record that encodes otherwise.
  std::string flagged;
  encode_record(Command{1, kT0, PlaceBid{lot_id("a"), user("ann"), 100}}, flagged);
  flagged[2] = 1;
  const std::uint64_t sum = XXH3_64bits(flagged.data(), flagged.size() - 8);
  std::memcpy(flagged.data() + flagged.size() - 8, &sum, 8);
  CHECK(decode_record(flagged, decoded).message() ==
        "lot rules flag does not match the lot configs");
}

TEST_CASE("every command kind round-trips through a record") {
  for (const Command& command : one_of_each()) {
    CAPTURE(describe(command));
    std::string bytes;
    encode_record(command, bytes);
    CHECK(record_seq(bytes) == command.seq);
    Command decoded;
    const Status status = decode_record(bytes, decoded);
    REQUIRE_MESSAGE(status.is_ok(), status.message());
    CHECK(decoded == command);
  }
}

TEST_CASE("an external input longer than its limit is refused as corrupt") {
  std::string bytes;
  encode_record(Command{1, kT0, ExternalInput{std::string(kMaxExternalInputBytes, 'x')}}, bytes);
  Command decoded;
  CHECK(decode_record(bytes, decoded).is_ok());
  bytes.clear();
  encode_record(Command{1, kT0, ExternalInput{std::string(kMaxExternalInputBytes + 1, 'x')}},
                bytes);
  const Status status = decode_record(bytes, decoded);
  CHECK(status.code() == Status::Code::corruption);
  CHECK(status.message().find("malformed payload for command kind 11") != std::string::npos);
}

TEST_CASE("format 2 carries the recorded outcome — format 1 reads as having none") {
  for (const Command& command : one_of_each()) {
    CAPTURE(describe(command));
    const RecordedOutcome outcome{3, 0x0123456789ABCDEFULL ^ command.seq};
    std::string v2, v1;
    encode_record(command, v2, &outcome);
    encode_record(command, v1);
    CHECK(v2.size() == v1.size() + 12);
    CHECK(v2[0] == 2);
    CHECK(v1[0] == 1);
    Command decoded;
    std::optional<RecordedOutcome> read;
    REQUIRE(decode_record(v2, decoded, &read).is_ok());
    CHECK(decoded == command);
    REQUIRE(read.has_value());
    CHECK(*read == outcome);
    REQUIRE(decode_record(v1, decoded, &read).is_ok());
    CHECK(decoded == command);
    CHECK(!read.has_value());
  }
}

TEST_CASE("the outcome digest depends on every event field but the prose message") {
  OutcomeHasher hasher;
  const auto event = [](AmountMinor amount, std::string_view message) {
    return std::vector<Event>{
        Event{7, kT0, BidAccepted{lot_id("lot1"), user("ann"), amount, kT0 + 5, amount + 10, 2}},
        Event{7, kT0, CommandRejected{lot_id("lot2"), CommandError::lot_exists, "", message}}};
  };
  const RecordedOutcome base = hasher.digest(event(100, "one sentence"));
  CHECK(base.event_count == 2);
  CHECK(hasher.digest(event(100, "reworded")) == base);
  CHECK(hasher.digest(event(110, "one sentence")) != base);
  CHECK(hasher.digest({}).event_count == 0);
}

TEST_CASE("a flipped bit anywhere in a record is caught") {
  std::string bytes;
  encode_record(one_of_each()[0], bytes);
  for (std::size_t at = 0; at < bytes.size(); ++at) {
    CAPTURE(at);
    std::string flipped = bytes;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x10);
    Command decoded;
    const Status status = decode_record(flipped, decoded);
    CHECK(status.code() == Status::Code::corruption);
  }
}

TEST_CASE("truncated, extended and foreign records are refused with a reason") {
  std::string bytes;
  encode_record(one_of_each()[3], bytes);
  Command decoded;
  CHECK(decode_record(bytes.substr(0, 10), decoded).message() == "record too short");
  CHECK(decode_record(bytes.substr(0, bytes.size() - 1), decoded).message() == "checksum mismatch");
  CHECK(decode_record("", decoded).code() == Status::Code::corruption);
  CHECK(decode_record(std::string(64, 'x'), decoded).message() == "checksum mismatch");
}

TEST_CASE("a record of an unknown format version is refused by name") {
  std::string bytes;
  encode_record(one_of_each()[8], bytes);
  bytes[0] = 3;  // a future format
  const std::uint64_t checksum = XXH3_64bits(bytes.data(), bytes.size() - 8);
  std::memcpy(bytes.data() + bytes.size() - 8, &checksum, 8);
  Command decoded;
  CHECK(decode_record(bytes, decoded).message() == "unknown record format version 3");
}
