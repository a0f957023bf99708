#include "auction/engine/describe.h"

#include <string>

namespace auction {
namespace {

std::string str(std::string_view text) {
  return std::string(text);
}
std::string num(std::int64_t value) {
  return std::to_string(value);
}
std::string opt(const std::optional<std::int64_t>& value) {
  return value ? std::to_string(*value) : "none";
}

std::string describe_config(const LotConfig& c) {
  return str(c.id.view()) + " \"" + str(c.title.view()) + "\" seller=" + str(c.seller.view()) +
         " " + str(c.currency.view()) + " start=" + num(c.start_price_minor) +
         " inc=" + num(c.increment_minor) + " reserve=" + num(c.reserve_minor) +
         " deposit=" + num(c.deposit_minor) + " starts_at=" + num(c.starts_at_ms) +
         " timed=" + num(c.timed_ms) + "ms ext=" + num(c.extension_ms) +
         "ms latest_close=" + num(c.latest_close_at_ms);
}

struct CommandText {
  std::string operator()(const CreateLot& c) const { return "create " + describe_config(c.config); }
  std::string operator()(const EditLot& c) const { return "edit " + describe_config(c.config); }
  std::string operator()(const QualifyBidder& c) const {
    return "qualify " + str(c.bidder.view()) + " for " + str(c.lot.view()) +
           (c.source == QualifySource::waiver ? " (waiver)" : " (deposit held)");
  }
  std::string operator()(const PlaceBid& c) const {
    return "bid " + str(c.bidder.view()) + " " + num(c.amount_minor) + " on " + str(c.lot.view());
  }
  std::string operator()(const PauseLot& c) const { return "pause " + str(c.lot.view()); }
  std::string operator()(const ResumeLot& c) const { return "resume " + str(c.lot.view()); }
  std::string operator()(const CancelLot& c) const { return "cancel " + str(c.lot.view()); }
  std::string operator()(const Tick&) const { return "tick"; }
  std::string operator()(const Restart&) const { return "restart"; }
  std::string operator()(const PlaceMaxBid& c) const {
    return "max bid " + str(c.bidder.view()) + " up to " + num(c.max_minor) + " on " +
           str(c.lot.view());
  }
  std::string operator()(const GrantPriority& c) const {
    return "grant " + str(c.bidder.view()) + " priority rank " + num(c.rank) + " on " +
           str(c.lot.view());
  }
  std::string operator()(const ExternalInput& c) const {
    return "external input (" + num(static_cast<std::int64_t>(c.payload.size())) + " bytes)";
  }
  std::string operator()(const CreateLots& c) const {
    std::string text = "catalogue of " + num(static_cast<std::int64_t>(c.configs.size()));
    for (const LotConfig& config : c.configs)
      text += "; " + describe_config(config);
    return text;
  }
};

struct EventText {
  std::string operator()(const BidAccepted& e) const {
    return "accepted " + str(e.bidder.view()) + " " + num(e.amount_minor) + " on " +
           str(e.lot.view()) + " deadline=" + num(e.deadline_ms) +
           " min_next=" + num(e.min_next_minor) + " bids=" + num(e.bid_count) +
           (e.auto_bid ? " auto" : "") + (e.priority_match ? " match" : "");
  }
  std::string operator()(const MaxBidAccepted& e) const {
    return "max bid of " + str(e.bidder.view()) + " on " + str(e.lot.view()) + " accepted";
  }
  std::string operator()(const BidRejected& e) const {
    return "rejected " + str(e.bidder.view()) + " " + num(e.amount_minor) + " on " +
           str(e.lot.view()) + ": " + str(reject_code_name(e.code)) +
           " min_next=" + opt(e.min_next_minor);
  }
  std::string operator()(const PhaseChanged& e) const {
    return "phase " + str(e.lot.view()) + " " + str(phase_name(e.phase)) +
           " deadline=" + opt(e.deadline_ms);
  }
  std::string operator()(const LotClosed& e) const {
    return "closed " + str(e.lot.view()) + " " + str(outcome_name(e.outcome)) +
           (e.winner.empty() ? "" : " to " + str(e.winner.view())) +
           " price=" + num(e.price_minor) + " " + str(e.currency.view()) +
           " bids=" + num(e.bid_count) + " at=" + num(e.closed_at_ms);
  }
  std::string operator()(const LotConfigured& e) const {
    return (e.created ? "created " : "edited ") + describe_config(e.config);
  }
  std::string operator()(const BidderQualified& e) const {
    return "qualified " + str(e.bidder.view()) + " for " + str(e.lot.view());
  }
  std::string operator()(const CommandRejected& e) const {
    return "refused " + str(e.lot.view()) + ": " + str(command_error_name(e.error)) +
           (e.field.empty() ? "" : " (" + str(e.field) + ")") + " " + str(e.message);
  }
};

}  // namespace

std::string describe(const Command& command) {
  return "#" + std::to_string(command.seq) + " @" + std::to_string(command.ts_ms) + " " +
         std::visit(CommandText{}, command.body);
}

std::string describe(const Event& event) {
  return "#" + std::to_string(event.seq) + " @" + std::to_string(event.ts_ms) + " " +
         std::visit(EventText{}, event.body);
}

}  // namespace auction
