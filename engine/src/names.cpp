// Wire names of the engine's enumerations (SPEC §3, §4, §7): these strings are protocol.
#include <string_view>

#include "auction/engine/command.h"
#include "auction/engine/event.h"

namespace auction {

std::string_view phase_name(Phase phase) {
  switch (phase) {
    case Phase::scheduled:
      return "scheduled";
    case Phase::timed:
      return "timed";
    case Phase::extension:
      return "extension";
    case Phase::paused:
      return "paused";
    case Phase::closed:
      return "closed";
    case Phase::cancelled:
      return "cancelled";
  }
  return "?";
}

std::string_view outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::sold:
      return "sold";
    case Outcome::unsold:
      return "unsold";
    case Outcome::cancelled:
      return "cancelled";
  }
  return "?";
}

std::string_view reject_code_name(RejectCode code) {
  switch (code) {
    case RejectCode::invalid_amount:
      return "invalid_amount";
    case RejectCode::rate_limited:
      return "rate_limited";
    case RejectCode::unavailable:
      return "unavailable";
    case RejectCode::unknown_lot:
      return "unknown_lot";
    case RejectCode::lot_not_open:
      return "lot_not_open";
    case RejectCode::lot_paused:
      return "lot_paused";
    case RejectCode::lot_closed:
      return "lot_closed";
    case RejectCode::not_qualified:
      return "not_qualified";
    case RejectCode::already_leading:
      return "already_leading";
    case RejectCode::below_minimum:
      return "below_minimum";
    case RejectCode::not_increment_multiple:
      return "not_increment_multiple";
    case RejectCode::max_bid_not_allowed:
      return "max_bid_not_allowed";
    case RejectCode::not_above_own_max:
      return "not_above_own_max";
  }
  return "?";
}

std::string_view command_error_name(CommandError error) {
  switch (error) {
    case CommandError::unknown_lot:
      return "unknown_lot";
    case CommandError::lot_exists:
      return "lot_exists";
    case CommandError::lot_not_editable:
      return "lot_not_editable";
    case CommandError::invalid_config:
      return "invalid_config";
    case CommandError::lot_not_open:
      return "lot_not_open";
    case CommandError::lot_paused:
      return "lot_paused";
    case CommandError::lot_not_paused:
      return "lot_not_paused";
    case CommandError::lot_closed:
      return "lot_closed";
    case CommandError::limit_reached:
      return "limit_reached";
  }
  return "?";
}

std::string_view command_name(const CommandBody& body) {
  struct Namer {
    std::string_view operator()(const CreateLot&) const { return "create_lot"; }
    std::string_view operator()(const EditLot&) const { return "edit_lot"; }
    std::string_view operator()(const QualifyBidder&) const { return "qualify"; }
    std::string_view operator()(const PlaceBid&) const { return "bid"; }
    std::string_view operator()(const PauseLot&) const { return "pause"; }
    std::string_view operator()(const ResumeLot&) const { return "resume"; }
    std::string_view operator()(const CancelLot&) const { return "cancel"; }
    std::string_view operator()(const Tick&) const { return "tick"; }
    std::string_view operator()(const Restart&) const { return "restart"; }
    std::string_view operator()(const ExternalInput&) const { return "external_input"; }
    std::string_view operator()(const PlaceMaxBid&) const { return "max_bid"; }
    std::string_view operator()(const GrantPriority&) const { return "grant_priority"; }
    std::string_view operator()(const CreateLots&) const { return "create_lots"; }
  };
  return std::visit(Namer{}, body);
}

}  // namespace auction
