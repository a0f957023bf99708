// The segment-file journal and recovery: appends, reads, the chain digest, and every bad-input case
// of issue 3 (flipped byte, gap, mismatching snapshot, map full), each with a clear error and
// nothing lost; and the segment files' own cases (a batch cut short, roll-over, damage).
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "../engine/harness.h"
#include "auction/persistence/journal.h"
#include "auction/persistence/record_codec.h"
#include "auction/persistence/recovery.h"
#include "auction/persistence/snapshot_store.h"
#include "temp_dir.h"

using namespace auction;
using namespace auction::persistence;
using namespace auction::testing;

namespace {

std::unique_ptr<Journal> open_journal(const std::string& dir, std::size_t map = 64 << 20,
                                      bool read_only = false) {
  std::unique_ptr<Journal> journal;
  const Status status = Journal::open(JournalOptions{dir, map, read_only}, journal);
  REQUIRE_MESSAGE(status.is_ok(), status.message());
  return journal;
}

// Appends `commands` (consecutive seqs) as one durable batch, keeping the chain.
Status append(Journal& journal, const std::vector<Command>& commands, ChainDigest& chain) {
  std::vector<std::string> records(commands.size());
  std::vector<std::string_view> views;
  for (std::size_t i = 0; i < commands.size(); ++i) {
    encode_record(commands[i], records[i]);
    views.push_back(records[i]);
    chain.add(records[i]);
  }
  if (Status s = journal.write(JournalBatch{views, commands.back().seq, chain.value(), {}});
      !s.is_ok()) {
    return s;
  }
  return journal.sync();
}

// A small auction's commands: a lot and `bids` accepted bids.
std::vector<Command> auction_commands(Seq first_seq, int bids, const std::string& lot = "lot1") {
  std::vector<Command> out;
  Seq seq = first_seq;
  if (first_seq == 1) out.push_back(Command{seq++, kT0, CreateLot{lot_config(lot)}});
  for (int i = 0; i < bids; ++i) {
    out.push_back(Command{seq++, kT0 + 1'000 + static_cast<TimeMs>(seq),
                          PlaceBid{lot_id(lot), user(i % 2 ? "bob" : "ann"),
                                   100 + 10 * static_cast<AmountMinor>(seq)}});
  }
  return out;
}

std::string read_bytes(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::size_t segment_count(const std::string& dir) {
  std::size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    count += entry.path().filename().string().starts_with("segment-");
  return count;
}

std::string only_segment(const std::string& dir) {
  REQUIRE(segment_count(dir) == 1);
  return dir + "/segment-00000000000000000001.log";
}

}  // namespace

// Known answers, computed apart (Python's hashlib): d(n) = SHA-256(d(n-1) || record n).
TEST_CASE("the chain digest is SHA-256 of the previous digest and the record") {
  ChainDigest chain;
  CHECK(to_hex(chain.value()) == std::string(64, '0'));
  CHECK(to_hex(chain.add("abc")) ==
        "365aa7d8f7f9402c4b9434502b4cc89ddb09fe50d7cd95b493b834c62d5a5370");
  CHECK(to_hex(chain.add("")) ==
        "e68b0c72b1aff9488294900ba6cc1e99075122a8d0c122eb42da506f9c2321a4");
  CHECK(to_hex(chain.add(std::string(200, 'x'))) ==
        "d9cece6bfeaf1f42dc02be24fbef5aae1c410e25d74ba0c92d2d072fc7e47685");
  ChainDigest resumed(chain.value());  // a restart resumes from the last digest
  CHECK(resumed.add("next") == chain.add("next"));
}

TEST_CASE("appended records read back in order with their chain digest") {
  TempDir dir;
  auto journal = open_journal(dir.path());
  CHECK(journal->last_seq() == 0);
  ChainDigest chain;
  REQUIRE(append(*journal, auction_commands(1, 10), chain).is_ok());
  REQUIRE(append(*journal, auction_commands(12, 5), chain).is_ok());
  CHECK(journal->first_seq() == 1);
  CHECK(journal->last_seq() == 16);
  CHECK(journal->chain().seq == 16);
  CHECK(journal->chain().digest == chain.value());
  Seq expected = 5;
  REQUIRE(journal
              ->scan(5,
                     [&](Seq seq, std::string_view bytes) {
                       Command command;
                       CHECK(decode_record(bytes, command).is_ok());
                       CHECK(seq == expected);
                       CHECK(command.seq == expected++);
                       return true;
                     })
              .is_ok());
  CHECK(expected == 17);
}

TEST_CASE("a sequence number that does not follow the last one is refused on append") {
  TempDir dir;
  auto journal = open_journal(dir.path());
  ChainDigest chain;
  REQUIRE(append(*journal, auction_commands(1, 3), chain).is_ok());
  const Status status = append(*journal, {Command{2, kT0 + 5'000, Tick{}}}, chain);
  CHECK_FALSE(status.is_ok());
  CHECK(journal->last_seq() == 4);
}

TEST_CASE("recovery replays the journal, with and without a snapshot") {
  TempDir dir;
  auto journal = open_journal(dir.sub("journal"));
  std::unique_ptr<SnapshotStore> snapshots;
  REQUIRE(SnapshotStore::open(dir.sub("snapshots"), false, snapshots).is_ok());
  ChainDigest chain;
  const auto first = auction_commands(1, 50);
  REQUIRE(append(*journal, first, chain).is_ok());
  Engine reference;
  RecordingSink ignored;
  for (const Command& c : first)
    reference.apply(c, ignored);
  REQUIRE(
      snapshots->put(reference.last_seq(), reference.state_digest(), reference.snapshot()).is_ok());
  const auto second = auction_commands(52, 30);
  REQUIRE(append(*journal, second, chain).is_ok());
  for (const Command& c : second)
    reference.apply(c, ignored);

  Engine from_snapshot;
  RecoveryReport report;
  REQUIRE(recover(from_snapshot, *journal, snapshots.get(), report).is_ok());
  CHECK(report.snapshot_seq == 51);
  CHECK(report.replayed_commands == 30);
  CHECK(from_snapshot.state_digest() == reference.state_digest());

  Engine from_scratch;
  REQUIRE(recover(from_scratch, *journal, nullptr, report).is_ok());
  CHECK(report.replayed_commands == 81);
  CHECK(from_scratch.state_digest() == reference.state_digest());
}

TEST_CASE("a flipped byte in a batch followed by intact ones is refused, naming where") {
  TempDir dir;
  {
    auto journal = open_journal(dir.path());
    ChainDigest chain;
    auto commands = auction_commands(1, 20);
    commands[12].body = PlaceBid{lot_id("lot1"), user("MarkerBidderXYZ"), 100'000};
    REQUIRE(append(*journal, commands, chain).is_ok());
    REQUIRE(append(*journal, auction_commands(22, 5), chain).is_ok());
  }
  const std::string file = only_segment(dir.path());
  std::string bytes = read_bytes(file);
  const auto at = bytes.find("MarkerBidderXYZ");
  REQUIRE(at != std::string::npos);
  bytes[at + 3] ^= 0x01;
  write_bytes(file, bytes);
  for (const bool read_only : {true, false}) {
    std::unique_ptr<Journal> journal;
    const Status status = Journal::open(JournalOptions{dir.path(), 64 << 20, read_only}, journal);
    CHECK(status.code() == Status::Code::corruption);
    CHECK(status.message() ==
          "journal segment-00000000000000000001.log offset 64: damaged batch "
          "after seq 0 (intact data follows it)");
  }
  CHECK(read_bytes(file) == bytes);  // nothing was overwritten
}

TEST_CASE("a batch cut short by a crash is set aside on open and the journal goes on") {
  TempDir dir;
  ChainDigest chain;
  std::string tail;
  std::size_t tail_at = 0;
  {
    auto journal = open_journal(dir.path());
    REQUIRE(append(*journal, auction_commands(1, 10), chain).is_ok());
    const std::string before = read_bytes(only_segment(dir.path()));
    ChainDigest scratch(chain.value());
    REQUIRE(append(*journal, auction_commands(12, 10), scratch).is_ok());
    // What a crash between write and fdatasync can leave: the batch without its commit frame.
    const std::string after = read_bytes(only_segment(dir.path()));
    tail_at = before.find_last_not_of('\0') / 8 * 8 + 8;
    const std::size_t end = after.find_last_not_of('\0') / 8 * 8 + 8;
    tail = after.substr(tail_at, end - tail_at - 120);  // the commit frame is 104 bytes + padding
  }
  std::string bytes = read_bytes(only_segment(dir.path()));
  std::fill(bytes.begin() + static_cast<std::ptrdiff_t>(tail_at), bytes.end(), '\0');
  std::copy(tail.begin(), tail.end(), bytes.begin() + static_cast<std::ptrdiff_t>(tail_at));
  write_bytes(only_segment(dir.path()), bytes);

  auto reader = open_journal(dir.path(), 64 << 20, true);
  CHECK(reader->last_seq() == 11);  // readers never see the unfinished batch
  {
    auto journal = open_journal(dir.path());
    CHECK(journal->last_seq() == 11);
    CHECK(journal->unfinished_bytes() == tail.size());
    const std::string kept = dir.sub("unfinished-12-" + std::to_string(tail_at) + ".bin");
    CHECK(read_bytes(kept) == tail);
    REQUIRE(append(*journal, auction_commands(12, 3), chain).is_ok());
  }
  auto journal = open_journal(dir.path());
  CHECK(journal->unfinished_bytes() == 0);
  CHECK(journal->last_seq() == 14);
  CHECK(journal->chain().digest == chain.value());
  Engine engine;
  RecoveryReport report;
  REQUIRE(recover(engine, *journal, nullptr, report).is_ok());
  CHECK(report.last_seq == 14);
  CHECK(reader->last_seq() == 14);  // the reader picks up what was committed since
}

TEST_CASE(
    "segments roll over — scans from any seq, readers beside the writer, and reopening agree") {
  TempDir dir;
  std::unique_ptr<Journal> journal;
  REQUIRE(Journal::open(JournalOptions{dir.path(), 64 << 20, false, 1 << 20}, journal).is_ok());
  auto reader = open_journal(dir.path(), 0, true);
  ChainDigest chain;
  REQUIRE(append(*journal, auction_commands(1, 99), chain).is_ok());
  Seq next = 101;
  while (segment_count(dir.path()) < 4) {
    REQUIRE(append(*journal, auction_commands(next, 97), chain).is_ok());
    next += 97;
    REQUIRE(reader->last_seq() == next - 1);
  }
  // A batch larger than a segment gets a segment of its own size.
  REQUIRE(append(*journal, auction_commands(next, 20'000), chain).is_ok());
  next += 20'000;
  CHECK(reader->last_seq() == next - 1);
  CHECK(reader->chain().digest == chain.value());
  const auto seqs_from = [](const Journal& j, Seq from) {
    Seq expected = from, count = 0;
    const Status s = j.scan(from, [&](Seq seq, std::string_view bytes) {
      Command command;
      if (seq != expected++ || !decode_record(bytes, command).is_ok() || command.seq != seq)
        return false;
      ++count;
      return true;
    });
    return s.is_ok() ? count : 0;
  };
  for (const Seq from : {Seq{1}, Seq{2}, Seq{100}, Seq{101}, Seq{5'000}, next - 20'000, next - 1})
    CHECK(seqs_from(*reader, from) == next - from);
  journal.reset();
  auto reopened = open_journal(dir.path(), 64 << 20);
  CHECK(reopened->last_seq() == next - 1);
  CHECK(reopened->first_seq() == 1);
  CHECK(seqs_from(*reopened, 3'333) == next - 3'333);
}

TEST_CASE("damage in a segment that is not the last one is refused") {
  TempDir dir;
  {
    std::unique_ptr<Journal> journal;
    REQUIRE(Journal::open(JournalOptions{dir.path(), 64 << 20, false, 1 << 20}, journal).is_ok());
    ChainDigest chain;
    REQUIRE(append(*journal, auction_commands(1, 99), chain).is_ok());
    for (Seq next = 101; segment_count(dir.path()) < 2; next += 97)
      REQUIRE(append(*journal, auction_commands(next, 97), chain).is_ok());
  }
  const std::string first = dir.sub("segment-00000000000000000001.log");
  std::string bytes = read_bytes(first);
  bytes[64 + 8] ^= 0x10;  // the first frame's length
  write_bytes(first, bytes);
  std::unique_ptr<Journal> journal;
  const Status status = Journal::open(JournalOptions{dir.path(), 64 << 20, true}, journal);
  CHECK(status.code() == Status::Code::corruption);
  CHECK(status.message().find("journal segment-00000000000000000001.log offset 64: damaged") == 0);
}

TEST_CASE("a gap in sequence numbers stops recovery naming the record") {
  TempDir dir;
  auto journal = open_journal(dir.path());
  ChainDigest chain;
  REQUIRE(append(*journal, auction_commands(1, 5), chain).is_ok());
  REQUIRE(append(*journal, {Command{9, kT0 + 9'000, Tick{}}}, chain).is_ok());  // 7, 8 missing
  Engine engine;
  RecoveryReport report;
  const Status status = recover(engine, *journal, nullptr, report);
  CHECK(status.message() == "journal record seq 9: gap in sequence numbers (expected 7)");
}

TEST_CASE("a snapshot whose digest does not match stops recovery") {
  TempDir dir;
  auto journal = open_journal(dir.sub("journal"));
  std::unique_ptr<SnapshotStore> snapshots;
  REQUIRE(SnapshotStore::open(dir.sub("snapshots"), false, snapshots).is_ok());
  ChainDigest chain;
  const auto commands = auction_commands(1, 10);
  REQUIRE(append(*journal, commands, chain).is_ok());
  Engine engine;
  RecordingSink ignored;
  for (const Command& c : commands)
    engine.apply(c, ignored);
  REQUIRE(snapshots->put(engine.last_seq(), engine.state_digest() ^ 1, engine.snapshot()).is_ok());
  Engine recovered;
  RecoveryReport report;
  const Status status = recover(recovered, *journal, snapshots.get(), report);
  CHECK(status.code() == Status::Code::corruption);
  CHECK(status.message().find("snapshot at seq 11: digest mismatch") == 0);
  CHECK(snapshots->list() == std::vector<Seq>{11});  // nothing was removed
}

TEST_CASE("a full journal refuses the batch, keeps what was durable, and can grow") {
  TempDir dir;
  auto journal = open_journal(dir.path(), 256 << 10);  // 256 KiB: a few thousand records
  ChainDigest chain;
  REQUIRE(append(*journal, auction_commands(1, 10), chain).is_ok());
  Seq next = 12;
  Status status = Status::ok();
  while (status.is_ok()) {
    const Digest256 before = chain.value();
    status = append(*journal, auction_commands(next, 500), chain);
    if (status.is_ok()) {
      next += 500;
    } else {
      chain.reset(before);
    }
  }
  CHECK(status.code() == Status::Code::full);
  CHECK(journal->last_seq() == next - 1);  // every committed batch is intact
  Engine engine;
  RecoveryReport report;
  REQUIRE(recover(engine, *journal, nullptr, report).is_ok());
  CHECK(report.last_seq == next - 1);
  REQUIRE(journal->grow(8 << 20).is_ok());
  CHECK(append(*journal, auction_commands(next, 500), chain).is_ok());
  CHECK(journal->last_seq() == next + 499);
}

TEST_CASE("a second writer is refused while the first has the journal open") {
  TempDir dir;
  auto first = open_journal(dir.path());
  std::unique_ptr<Journal> second;
  const Status refused = Journal::open(JournalOptions{dir.path(), 64 << 20, false}, second);
  CHECK(refused.code() == Status::Code::unavailable);
  CHECK(refused.message() == dir.path() + ": another process has this journal open for writing");
  auto reader = open_journal(dir.path(), 0, true);  // readers are welcome
  first.reset();
  CHECK(Journal::open(JournalOptions{dir.path(), 64 << 20, false}, second).is_ok());
}

TEST_CASE("opening something that is not a journal is a clear error") {
  TempDir dir;
  std::unique_ptr<Journal> journal;
  const Status missing = Journal::open(JournalOptions{dir.sub("nope"), 1 << 20, true}, journal);
  CHECK(missing.code() == Status::Code::not_found);
  CHECK(missing.message() == dir.sub("nope") + ": no journal segments (segment-*.log)");
  write_bytes(dir.sub("data.mdb"), std::string(8192, 'x'));
  const Status legacy = Journal::open(JournalOptions{dir.path(), 1 << 20, false}, journal);
  CHECK(legacy.code() == Status::Code::invalid_argument);
  CHECK(legacy.message().find("an LMDB journal of an earlier build") != std::string::npos);
}
