// libFuzzer target: the journal's segment reader and its recovery on open. Each input is a small
// program that builds a segment with valid checksums (records, marks, commits, some with wrong
// seqs or counts) and then damages it (raw bytes, flipped bytes), so mutations reach every
// branch behind the checksums. The segment is written to a directory on /dev/shm and opened.
// Invariants:
//   - open() succeeds, or refuses with one line naming the segment (damage is never a crash);
//   - the records a scan yields ascend strictly, end at last_seq(), and a scan from any of them
//     yields exactly the rest;
//   - opening for writing keeps every record a reader saw, sets aside only what follows, and a
//     second open finds nothing more to set aside; a batch appended then reads back.
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "../../persistence/src/journal_format.h"
#include "auction/persistence/journal.h"
#include "fuzz_bytes.h"

using namespace auction;
using namespace auction::persistence;
using auction::testing::FuzzBytes;
namespace jf = auction::persistence::journal_format;

namespace {

// The segment body the input describes (after the 64-byte header).
std::string build(FuzzBytes& in) {
  std::string out;
  jf::append_segment_header(1, out);
  Seq next = 1;
  Seq batch_first = 0;
  std::size_t batch_begin = out.size();
  Digest256 digest{};
  while (!in.empty() && out.size() < (64 << 10)) {
    const std::uint8_t op = in.next();
    switch (op % 6) {
      case 0:
      case 1: {  // a record; sometimes with a seq that does not ascend
        const Seq back = op & 0x80 ? std::min<Seq>(in.next() % 3, next - 1) : 0;
        const Seq seq = next - back;
        if (batch_first == 0) batch_first = seq;
        jf::append_record(seq, in.take(in.next() % 64), out);
        next = seq + 1;
        break;
      }
      case 2:
        digest[0] = in.next();
        jf::append_mark(next - 1, digest, out);
        break;
      case 3: {  // a commit; sometimes naming the wrong first seq
        const Seq first = op & 0x80 ? batch_first + 1 : batch_first;
        jf::append_commit(first, next - 1, digest, batch_begin, out);
        batch_begin = out.size();
        batch_first = 0;
        break;
      }
      case 4:  // raw bytes, aligned
        out.append(in.take(in.next() % 48));
        out.append((8 - out.size() % 8) % 8, '\0');
        break;
      case 5: {  // a flipped bit somewhere after the header
        const std::size_t span = out.size() - jf::kSegmentHeaderBytes;
        if (span == 0) break;
        const std::size_t at = jf::kSegmentHeaderBytes + (in.next() * 257u + in.next()) % span;
        out[at] = static_cast<char>(out[at] ^ (1 << (in.next() % 8)));
        break;
      }
    }
  }
  out.append(4096, '\0');  // a segment ends in zeros
  return out;
}

std::vector<Seq> scan_all(const Journal& journal, Seq from) {
  std::vector<Seq> seqs;
  if (!journal
           .scan(from,
                 [&](Seq seq, std::string_view) {
                   seqs.push_back(seq);
                   return true;
                 })
           .is_ok()) {
    std::abort();
  }
  return seqs;
}

void check_reader(const Journal& journal) {
  const std::vector<Seq> seqs = scan_all(journal, 1);
  for (std::size_t i = 1; i < seqs.size(); ++i)
    if (seqs[i] <= seqs[i - 1]) std::abort();
  if (seqs.empty() ? journal.last_seq() != 0 : seqs.back() != journal.last_seq()) std::abort();
  for (std::size_t i = 0; i < seqs.size(); i += 7) {
    const std::vector<Seq> rest = scan_all(journal, seqs[i]);
    if (rest != std::vector<Seq>(seqs.begin() + static_cast<std::ptrdiff_t>(i), seqs.end()))
      std::abort();
  }
}

Status open(const std::string& dir, bool read_only, std::unique_ptr<Journal>& out) {
  return Journal::open(JournalOptions{dir, std::size_t{64} << 20, read_only, 8192}, out);
}

void check_writer(const std::string& dir, Seq last_read) {
  std::unique_ptr<Journal> writer;
  if (!open(dir, false, writer).is_ok() || writer->last_seq() != last_read) std::abort();
  const std::string record = "x";
  const std::string_view views[] = {record};
  if (!writer->write(JournalBatch{views, last_read + 1, Digest256{}, {}}).is_ok() ||
      !writer->sync().is_ok()) {
    std::abort();
  }
  writer.reset();
  if (!open(dir, false, writer).is_ok() || writer->unfinished_bytes() != 0 ||
      writer->last_seq() != last_read + 1) {
    std::abort();
  }
  check_reader(*writer);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string dir = "/dev/shm/fuzz-journal-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  FuzzBytes in(data, size);
  const std::string segment = build(in);
  std::ofstream(dir + "/" + jf::segment_name(1), std::ios::binary)
      .write(segment.data(), static_cast<std::streamsize>(segment.size()));
  std::unique_ptr<Journal> reader;
  const Status opened = open(dir, true, reader);
  if (!opened.is_ok()) {
    if (opened.code() != Status::Code::corruption ||
        opened.message().find("journal segment-") != 0 ||
        opened.message().find('\n') != std::string::npos) {
      std::abort();
    }
    return 0;
  }
  check_reader(*reader);
  check_writer(dir, reader->last_seq());
  return 0;
}
