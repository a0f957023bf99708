// Private: the engine's state and rules. engine.cpp holds the rules, snapshot.cpp the
// serialization; both see this one definition.
#pragma once

#include <cstdint>
#include <vector>

#include "auction/engine/engine.h"
#include "deadline_heap.h"
#include "index_table.h"

namespace auction {

struct Qualification {
  std::uint32_t lot = 0;  // position in Impl::lots
  UserId bidder;
  QualifySource source = QualifySource::deposit_held;
};

// Stamps every event of one command with the command's sequence number and time.
class Emitter {
 public:
  Emitter(EventSink& sink, Seq seq, TimeMs ts_ms) : sink_(sink), seq_(seq), ts_ms_(ts_ms) {}
  template <typename Body>
  void emit(Body&& body) {
    sink_.on_event(Event{seq_, ts_ms_, EventBody{std::forward<Body>(body)}});
  }
  Seq seq() const { return seq_; }

 private:
  EventSink& sink_;
  Seq seq_;
  TimeMs ts_ms_;
};

// Caps a deadline at the lot's hard close, if it has one.
inline TimeMs capped_deadline(const LotState& state, TimeMs deadline_ms) {
  if (state.close_cap_ms != 0 && deadline_ms > state.close_cap_ms) return state.close_cap_ms;
  return deadline_ms;
}

struct Engine::Impl {
  explicit Impl(const EngineLimits& engine_limits);

  // Lookups.
  std::optional<std::uint32_t> find_lot(const LotId& id) const;
  std::optional<std::uint32_t> find_qualification(std::uint32_t lot, const UserId& bidder) const;
  static std::uint64_t qualification_hash(std::uint32_t lot, const UserId& bidder);

  // Timers: the heap holds, per waiting lot, a key ≤ the time its timer is really due. Bids move
  // deadlines only later, so they leave the heap alone; advance() settles stale keys lazily.
  static std::optional<TimeMs> timer_due_ms(const LotState& lot);
  void sync_timer(std::uint32_t lot);
  void settle_top();
  void advance(Emitter& out, bool outage);
  // advance()'s first test, inline: on most commands nothing is due (one comparison, no call).
  bool anything_due() const { return !timers.empty() && timers.top().key_ms <= now_ms; }
  void fire_timer(std::uint32_t lot, TimeMs at_ms, Emitter& out, bool outage);
  void open_lot(std::uint32_t lot, TimeMs at_ms, Emitter& out, bool announce = true);
  void enter_extension(std::uint32_t lot, TimeMs at_ms, Emitter& out);
  void close_lot(std::uint32_t lot, TimeMs at_ms, Emitter& out);
  void defer_close_after_outage(std::uint32_t lot, Emitter& out);
  void announce_phase(std::uint32_t lot, Emitter& out);

  // Commands.
  void handle(const CreateLot& command, Emitter& out);
  void handle(const EditLot& command, Emitter& out);
  void handle(const QualifyBidder& command, Emitter& out);
  void handle(const GrantPriority& command, Emitter& out);
  void handle(const PlaceBid& command, Emitter& out);
  void handle(const PlaceMaxBid& command, Emitter& out);
  void handle(const PauseLot& command, Emitter& out);
  void handle(const ResumeLot& command, Emitter& out);
  void handle(const CancelLot& command, Emitter& out);
  void handle(const Tick&, Emitter&) {}
  void handle(const Restart&, Emitter&) {}
  void handle(const ExternalInput&, Emitter&) {}
  void handle(const CreateLots& command, Emitter& out);
  // Bids (bids.cpp).
  void reject_bid(const LotId& lot_id, const UserId& bidder, AmountMinor amount_minor,
                  const LotState* lot, RejectCode code, Emitter& out);
  // The checks every bid and maximum bid share, up to the deposit (SPEC §4's table); the lot's
  // position when they pass, kNoLot when they refused it. A sentinel, not an optional: the
  // optional came back through the stack, and loading it waited on its flag's one-byte store
  // (a store-forwarding stall, ~10 ns on every bid under perf annotate; bench/RESULTS.md).
  static constexpr std::uint32_t kNoLot = ~std::uint32_t{0};
  std::uint32_t biddable_lot(const LotId& lot_id, const UserId& bidder, AmountMinor amount_minor,
                             bool max_bid, Emitter& out);
  // The price moves to `amount_minor` with `bidder` leading (one accepted bid).
  // `max_minor`: the bidder's maximum while it leads with this bid (the event's private field).
  enum class BidSource : std::uint8_t { plain, automatic, priority_match };
  void move_price(std::uint32_t lot, const UserId& bidder, AmountMinor amount_minor,
                  BidSource source, AmountMinor max_minor, Emitter& out);
  // SPEC §4.3: whether `bidder` may match the price `lot` stands at.
  bool may_match(const LotState& lot, const UserId& bidder) const;
  // SPEC §4.2's reserve rule for the leader's maximum.
  void apply_reserve_rule(std::uint32_t lot, Emitter& out);
  void restart_countdown(std::uint32_t lot);
  std::optional<std::uint32_t> running_lot(const LotId& id, Emitter& out);
  bool check_new_config(const LotConfig& config, Emitter& out);
  bool check_catalogue(const CreateLots& command, Emitter& out);
  void add_lot(const LotConfig& config, Emitter& out);

  void clear();

  EngineLimits limits;
  std::vector<LotState> lots;  // creation order; capacity reserved for limits.max_lots
  detail::IndexTable lot_index;
  std::vector<Qualification> qualifications;  // insertion order; capacity reserved
  detail::IndexTable qualification_index;
  detail::DeadlineHeap timers;
  Seq last_seq = 0;
  TimeMs now_ms = 0;
};

}  // namespace auction
