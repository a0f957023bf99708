// Events: the only outputs of the engine, delivered to a sink the caller owns.
//
// Contract: every command yields exactly one answer event (BidAccepted / BidRejected for a bid,
// MaxBidAccepted / BidRejected for a maximum bid, then the BidAccepted of each price it moved;
// LotConfigured (also for a GrantPriority), BidderQualified, PhaseChanged or CommandRejected for
// the others; Tick and Restart answer with nothing of their own; a catalogue (CreateLots) answers
// with one LotConfigured per lot, or one CommandRejected), preceded by the clock events
// (PhaseChanged, LotClosed) its timestamp made due. Every event carries the sequence number and
// timestamp of the command that caused it. Events are values: a sink may copy and keep them.
// Threading: the engine calls the sink on its own thread, synchronously, inside apply().
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>

#include "auction/engine/command.h"
#include "auction/engine/lot_config.h"
#include "auction/engine/types.h"

namespace auction {

enum class Phase : std::uint8_t { scheduled, timed, extension, paused, closed, cancelled };

enum class Outcome : std::uint8_t { sold, unsold, cancelled };

// SPEC §4's reject codes. Where several apply, the first in SPEC §4's table is given:
// invalid_amount, rate_limited, unavailable, unknown_lot, lot_not_open, lot_paused, lot_closed,
// max_bid_not_allowed, not_qualified, already_leading, not_above_own_max, below_minimum,
// not_increment_multiple. (The numbers are journaled in outcome digests: new codes go last.)
enum class RejectCode : std::uint8_t {
  invalid_amount,
  rate_limited,  // given by the gateway
  unavailable,   // given by the gateway / pipeline
  unknown_lot,
  lot_not_open,
  lot_paused,
  lot_closed,
  not_qualified,
  already_leading,
  below_minimum,
  not_increment_multiple,
  max_bid_not_allowed,  // a maximum bid on a lot whose max_bids is false
  not_above_own_max,    // the leader's new maximum is not above its current one
};

// Why an admin command (anything but a bid) was refused.
enum class CommandError : std::uint8_t {
  unknown_lot,
  lot_exists,
  lot_not_editable,  // SPEC §2: configuration changes only while scheduled
  invalid_config,
  lot_not_open,    // pause of a lot that has not opened yet
  lot_paused,      // pause of a lot that is already paused
  lot_not_paused,  // resume of a lot that is not paused
  lot_closed,      // closed or cancelled already
  limit_reached,   // a capacity of EngineLimits is exhausted
};

std::string_view phase_name(Phase phase);
std::string_view outcome_name(Outcome outcome);
std::string_view reject_code_name(RejectCode code);
std::string_view command_error_name(CommandError error);

struct BidAccepted {
  LotId lot;
  UserId bidder;
  AmountMinor amount_minor = 0;
  TimeMs deadline_ms = 0;          // the lot's deadline after this bid
  AmountMinor min_next_minor = 0;  // lowest admissible next bid
  std::uint32_t bid_count = 0;     // accepted bids on the lot so far, this one included
  bool auto_bid = false;           // bid by the engine for a maximum (SPEC §4.2)
  bool priority_match = false;     // a priority purchaser matched the price (SPEC §4.3)
  // The maximum of `bidder` while it leads with this bid (its amount for a plain bid). Private
  // to `bidder` (SPEC §4.2): shown to nobody else, in no export.
  AmountMinor leader_max_minor = 0;
  friend bool operator==(const BidAccepted&, const BidAccepted&) = default;
};

// A maximum bid was accepted (SPEC §4.2): the first answer event of a PlaceMaxBid, followed by
// the BidAccepted events of each price it moved. `max_minor` is private to `bidder`: whoever
// shows events to others (the gateway, exports) must leave it out.
struct MaxBidAccepted {
  LotId lot;
  UserId bidder;
  AmountMinor max_minor = 0;
  friend bool operator==(const MaxBidAccepted&, const MaxBidAccepted&) = default;
};

struct BidRejected {
  LotId lot;
  UserId bidder;
  AmountMinor amount_minor = 0;
  RejectCode code = RejectCode::invalid_amount;
  std::optional<AmountMinor> min_next_minor;  // none when the lot is unknown or bidding is over
  friend bool operator==(const BidRejected&, const BidRejected&) = default;
};

struct PhaseChanged {
  LotId lot;
  Phase phase = Phase::scheduled;
  std::optional<TimeMs> deadline_ms;  // none when paused without a cap, closed or cancelled
  friend bool operator==(const PhaseChanged&, const PhaseChanged&) = default;
};

// A lot's end, with everything a transaction confirmation needs but the journal digest (SPEC §5),
// which the journal adds.
struct LotClosed {
  LotId lot;
  Outcome outcome = Outcome::unsold;
  UserId winner;                // empty unless sold
  AmountMinor price_minor = 0;  // highest accepted bid; 0 when there was none
  bool reserve_met = false;
  std::uint32_t bid_count = 0;
  TimeMs closed_at_ms = 0;  // the instant of the close (the deadline that fell)
  UserId seller;
  CurrencyCode currency;
  Title title;
  // The winner's priority right on the lot (SPEC §4.3), 0 when it holds none: it bought under it.
  std::uint32_t winner_priority_rank = 0;
  friend bool operator==(const LotClosed&, const LotClosed&) = default;
};

// A lot was created (`created` = true) or its configuration replaced while scheduled.
struct LotConfigured {
  LotConfig config;
  bool created = false;
  friend bool operator==(const LotConfigured&, const LotConfigured&) = default;
};

struct BidderQualified {
  LotId lot;
  UserId bidder;
  QualifySource source = QualifySource::deposit_held;
  friend bool operator==(const BidderQualified&, const BidderQualified&) = default;
};

struct CommandRejected {
  LotId lot;
  CommandError error = CommandError::unknown_lot;
  std::string_view field;    // for invalid_config: the offending field (static storage)
  std::string_view message;  // a sentence for people (static storage)
  friend bool operator==(const CommandRejected&, const CommandRejected&) = default;
};

using EventBody = std::variant<BidAccepted, BidRejected, PhaseChanged, LotClosed, LotConfigured,
                               BidderQualified, CommandRejected, MaxBidAccepted>;

struct Event {
  Seq seq = 0;
  TimeMs ts_ms = 0;
  EventBody body;
  friend bool operator==(const Event&, const Event&) = default;
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void on_event(const Event& event) = 0;
};

}  // namespace auction
