// Commands: the only inputs of the engine.
//
// Contract: every command carries the sequence number and timestamp it was given when it was
// sequenced; the engine reads no clock of its own. Sequence numbers strictly increase and
// timestamps never decrease from one command to the next (the engine asserts both).
// Threading: plain values; safe to copy between threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "auction/engine/lot_config.h"
#include "auction/engine/types.h"

namespace auction {

struct CreateLot {
  LotConfig config;
  friend bool operator==(const CreateLot&, const CreateLot&) = default;
};

// A catalogue: creates every lot, in order, or none of them. Refused as a whole (naming the first
// offending lot) when any lot would be refused on its own, when two lots share an id, or when the
// catalogue is empty or larger than EngineLimits::max_catalogue_lots.
struct CreateLots {
  std::vector<LotConfig> configs;
  friend bool operator==(const CreateLots&, const CreateLots&) = default;
};

// Replaces the whole configuration of a scheduled lot (`config.id` names the lot).
struct EditLot {
  LotConfig config;
  friend bool operator==(const EditLot&, const EditLot&) = default;
};

enum class QualifySource : std::uint8_t { deposit_held = 0, waiver = 1 };

// Lets `bidder` bid on a lot that needs a deposit: its deposit is held in escrow, or the
// auctioneer waived it.
struct QualifyBidder {
  LotId lot;
  UserId bidder;
  QualifySource source = QualifySource::deposit_held;
  friend bool operator==(const QualifyBidder&, const QualifyBidder&) = default;
};

struct PlaceBid {
  LotId lot;
  UserId bidder;
  AmountMinor amount_minor = 0;  // checked by the engine too: invalid amounts are rejected
  friend bool operator==(const PlaceBid&, const PlaceBid&) = default;
};

// A maximum (proxy) bid (SPEC §4.2): the engine bids for `bidder`, up to `max_minor`, the
// lowest admissible amount that keeps it in the lead. Resolved within this one command.
struct PlaceMaxBid {
  LotId lot;
  UserId bidder;
  AmountMinor max_minor = 0;
  friend bool operator==(const PlaceMaxBid&, const PlaceMaxBid&) = default;
};

// Grants `bidder` a priority right of `rank` on a scheduled lot (SPEC §4.3), or changes the rank
// of the right it holds. Refused once the lot has opened (lot_not_editable), for the lot's
// seller, a rank outside 1..99 or a 17th purchaser (invalid_config).
struct GrantPriority {
  LotId lot;
  UserId bidder;
  std::uint32_t rank = 0;
  friend bool operator==(const GrantPriority&, const GrantPriority&) = default;
};

struct PauseLot {
  LotId lot;
  friend bool operator==(const PauseLot&, const PauseLot&) = default;
};
struct ResumeLot {
  LotId lot;
  friend bool operator==(const ResumeLot&, const ResumeLot&) = default;
};
struct CancelLot {
  LotId lot;
  friend bool operator==(const CancelLot&, const CancelLot&) = default;
};

// Advances the clock to the command's timestamp: opens, extends and closes lots that are due.
struct Tick {
  friend bool operator==(const Tick&, const Tick&) = default;
};

// The first command after the server restarts. Applies SPEC §3's outage rule: a lot whose
// deadline fell while the server was down is not closed retroactively but moved to the
// extension phase with deadline = restart + max(extension, 1 min).
struct Restart {
  friend bool operator==(const Restart&, const Restart&) = default;
};

// An input of a layer above the engine (settlement's, in a replicated shard), sequenced and
// journaled among the commands so that every replica applies it at the same position. The
// engine never reads `payload`: it advances its clock to the command's timestamp, as a Tick.
struct ExternalInput {
  std::string payload;
  friend bool operator==(const ExternalInput&, const ExternalInput&) = default;
};
inline constexpr std::size_t kMaxExternalInputBytes = 4'096;

using CommandBody =
    std::variant<CreateLot, EditLot, QualifyBidder, PlaceBid, PauseLot, ResumeLot, CancelLot, Tick,
                 Restart, CreateLots, ExternalInput, PlaceMaxBid, GrantPriority>;

struct Command {
  Seq seq = 0;
  TimeMs ts_ms = 0;
  CommandBody body;
  friend bool operator==(const Command&, const Command&) = default;
};

// The command's name as used in logs and the admin protocol ("create_lot", "bid", ...).
std::string_view command_name(const CommandBody& body);

inline constexpr DurationMs kOutageGraceMinMs = 60'000;  // SPEC §3: max(extension, 1 min)

}  // namespace auction
