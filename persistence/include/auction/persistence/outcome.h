// What a command produced when it was first applied: recorded beside it in the journal (record
// format 2) so that an analyst's replay can check it reproduces the same outcome.
//
// Contract: OutcomeHasher::digest() is a pure function of the events' values (everything but
// CommandRejected's prose message, which is for people and may be reworded): two engines that
// emit equal events get equal digests. The encoding is fixed; changing it needs a new record
// format version. Allocates only until its scratch buffer has grown to the largest outcome seen.
// Threading: one OutcomeHasher per thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "auction/engine/event.h"

namespace auction::persistence {

struct RecordedOutcome {
  std::uint32_t event_count = 0;
  std::uint64_t events_digest = 0;  // XXH3-64 of the events' canonical encoding
  friend bool operator==(const RecordedOutcome&, const RecordedOutcome&) = default;
};

class OutcomeHasher {
 public:
  RecordedOutcome digest(std::span<const Event> events);

 private:
  std::string scratch_;
};

}  // namespace auction::persistence
