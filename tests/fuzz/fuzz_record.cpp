// libFuzzer target: the journal record decoder. Each input is decoded as it is (almost always
// stopped by the checksum) and again with its last 8 bytes replaced by the right checksum, so the
// mutations reach the header and payload decoders. Invariants: never crashes or reads past the
// record; whatever decodes re-encodes to exactly the same bytes (the format is canonical, so a
// record that decodes cannot be a different record in disguise).
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include <xxhash.h>

#include "auction/persistence/record_codec.h"

using namespace auction;
using namespace auction::persistence;

namespace {

void decode_and_check(std::string_view bytes) {
  Command command;
  std::optional<RecordedOutcome> outcome;
  if (!decode_record(bytes, command, &outcome).is_ok()) return;
  std::string again;
  encode_record(command, again, outcome ? &*outcome : nullptr);
  if (again != bytes) std::abort();
  if (record_seq(bytes) != command.seq) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  decode_and_check(bytes);
  if (bytes.size() >= kRecordHeaderBytes + kRecordChecksumBytes) {
    const std::uint64_t checksum = XXH3_64bits(bytes.data(), bytes.size() - 8);
    std::memcpy(bytes.data() + bytes.size() - 8, &checksum, sizeof(checksum));
    decode_and_check(bytes);
  }
  return 0;
}
