// The auction core: a pure, deterministic state machine over sequenced, timestamped commands.
//
// Contract:
//   - apply() takes one command and emits its events into the caller's sink, synchronously. Two
//     engines fed the same commands emit the same events and have the same state_digest().
//   - Time is an input: before a command takes effect the engine advances its clock to the
//     command's timestamp, so lots that are due open, change phase or close first (SPEC §3). When
//     several lots are due, they are handled in order of their deadline, then of creation.
//   - next_deadline_ms() tells the driver when a Tick would change something, so it can sleep
//     until then instead of polling.
//   - No I/O, no clock reads, no threads, no locks. All memory is reserved in the constructor
//     (see EngineLimits); applying a bid to an existing lot never allocates.
//   - snapshot() serializes the whole state; restore() rebuilds an engine that continues exactly
//     as the original would have. A malformed snapshot is an error value, never a crash.
// Threading: not thread-safe. One thread owns an Engine; const methods may run concurrently with
// each other but not with apply().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "auction/engine/command.h"
#include "auction/engine/event.h"
#include "auction/engine/limits.h"
#include "auction/engine/lot_config.h"
#include "auction/engine/status.h"
#include "auction/engine/types.h"

namespace auction {

// The state of one lot, as the engine keeps it. What a bid reads and writes comes first, and a
// lot starts on a cache line (512 bytes, eight lines): a bid's fields, the first 184 bytes
// (through `config.increments`), then always span three lines, not three or four.
struct alignas(64) LotState {
  Phase phase = Phase::scheduled;
  Phase resume_phase = Phase::timed;  // where a paused lot returns on resume
  Outcome outcome = Outcome::unsold;  // meaningful once closed or cancelled
  std::uint32_t bid_count = 0;
  AmountMinor price_minor = 0;  // highest accepted bid; 0 = none yet
  // The leader's maximum (SPEC §4.2): private to the leader; equal to the price for a plain bid.
  AmountMinor leader_max_minor = 0;
  TimeMs deadline_ms = 0;   // current deadline while timed/extension; 0 = none
  TimeMs close_cap_ms = 0;  // hard close (latest_close_at, maybe moved by an outage)
  Seq seq = 0;              // last sequence number that changed this lot
  UserId leader;            // empty = none yet
  LotConfig config;
  DurationMs paused_remaining_ms = 0;  // frozen time left while paused
  TimeMs closed_at_ms = 0;

  bool bidding_over() const { return phase == Phase::closed || phase == Phase::cancelled; }
  // The lowest admissible bid now (SPEC §7 `min_next`); none once bidding is over or when no
  // bid within the amount range can be admissible any more.
  std::optional<AmountMinor> min_next_minor() const;
  bool reserve_met() const { return price_minor != 0 && price_minor >= config.reserve_minor; }

  friend bool operator==(const LotState&, const LotState&) = default;
};

class Engine {
 public:
  explicit Engine(const EngineLimits& limits = {});
  ~Engine();
  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  void apply(const Command& command, EventSink& sink);

  // A hint for a caller holding the next commands (the pipeline's dequeued bulk): starts loading
  // what applying a bid to a lot reads first, so that the memory's latency overlaps the commands
  // applied meanwhile. `index` (two commands ahead) loads the lot's slot in the index; `lot` (one
  // ahead) the lot itself. Changes nothing, reads nothing that could fault; any command is fine.
  enum class Prefetch : std::uint8_t { index, lot };
  void prefetch(const CommandBody& body, Prefetch what) const;  // for a bid or a maximum bid
  void prefetch(const LotId& lot, Prefetch what) const;

  // When a Tick would next change something (a lot opens, changes phase or closes); none when
  // no lot is waiting on the clock. Non-const: it settles timers that bids moved later.
  std::optional<TimeMs> next_deadline_ms();

  const LotState* find_lot(const LotId& lot) const;
  std::span<const LotState> lots() const;  // in creation order
  bool is_qualified(const LotId& lot, const UserId& bidder) const;
  Seq last_seq() const;
  TimeMs now_ms() const;
  const EngineLimits& limits() const;

  // A 64-bit digest of the whole state (every lot, every qualification, the clock).
  std::uint64_t state_digest() const;

  // Serializes the whole state (versioned binary). Allocates; not for the bid path.
  std::string snapshot() const;
  // Replaces this engine's state with a snapshot's. On error the engine is left empty.
  Status restore(std::string_view snapshot_bytes);

  struct Impl;  // opaque; defined by the implementation

 private:
  std::unique_ptr<Impl> impl_;
};

// FNV-1a, 64 bit: the digest function of state_digest(), exposed for tests and tools.
std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t seed = 0xCBF29CE484222325ULL);

}  // namespace auction
