// A real engine journal for the settlement consumer's tests: commands appended one durable
// commit each, with the chain digest the pipeline would keep.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "auction/persistence/chain_digest.h"
#include "auction/persistence/journal.h"
#include "auction/persistence/record_codec.h"

namespace auction::testing {

class EngineJournal {
 public:
  explicit EngineJournal(const std::string& directory) {
    REQUIRE(persistence::Journal::open({directory, std::size_t{64} << 20}, journal).is_ok());
  }
  // Appends the command as the next seq; returns that seq.
  Seq append(TimeMs ts_ms, CommandBody body) {
    std::string record;
    persistence::encode_record(Command{++seq, ts_ms, std::move(body)}, record);
    const std::string_view view = record;
    const persistence::Digest256 after = chain.add(view);
    REQUIRE(journal->write(persistence::JournalBatch{{&view, 1}, seq, after, {}}).is_ok());
    REQUIRE(journal->sync().is_ok());
    return seq;
  }
  std::unique_ptr<persistence::Journal> journal;
  persistence::ChainDigest chain;
  Seq seq = 0;
};

}  // namespace auction::testing
