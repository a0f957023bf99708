#include "auction/persistence/outcome.h"

#include <xxhash.h>

#include "auction/engine/binary_codec.h"

namespace auction::persistence {
namespace {

template <typename T>
void optional_integer(ByteWriter& w, const std::optional<T>& value) {
  w.integer(static_cast<std::uint8_t>(value.has_value()));
  w.integer(value.value_or(T{}));
}

// Each event as its variant index, then its fields in declaration order.
struct EventEncoder {
  ByteWriter& w;
  void operator()(const BidAccepted& e) const {
    w.text(e.lot.view());
    w.text(e.bidder.view());
    w.integer(e.amount_minor);
    w.integer(e.deadline_ms);
    w.integer(e.min_next_minor);
    w.integer(e.bid_count);
    // Absent for plain bids (as before maximum bids and matches existed): old digests hold.
    if (e.auto_bid) w.integer(std::uint8_t{1});
    if (e.priority_match) w.integer(std::uint8_t{2});
  }
  void operator()(const MaxBidAccepted& e) const {
    w.text(e.lot.view());
    w.text(e.bidder.view());
    w.integer(e.max_minor);
  }
  void operator()(const BidRejected& e) const {
    w.text(e.lot.view());
    w.text(e.bidder.view());
    w.integer(e.amount_minor);
    w.enumeration(e.code);
    optional_integer(w, e.min_next_minor);
  }
  void operator()(const PhaseChanged& e) const {
    w.text(e.lot.view());
    w.enumeration(e.phase);
    optional_integer(w, e.deadline_ms);
  }
  void operator()(const LotClosed& e) const {
    w.text(e.lot.view());
    w.enumeration(e.outcome);
    w.text(e.winner.view());
    w.integer(e.price_minor);
    w.integer(static_cast<std::uint8_t>(e.reserve_met));
    w.integer(e.bid_count);
    w.integer(e.closed_at_ms);
    w.text(e.seller.view());
    w.text(e.currency.view());
    w.text(e.title.view());
    if (e.winner_priority_rank != 0) w.integer(e.winner_priority_rank);  // as above
  }
  void operator()(const LotConfigured& e) const {
    encode_lot_config(w, e.config);
    if (has_rules(e.config)) encode_lot_rules(w, e.config);  // as above
    w.integer(static_cast<std::uint8_t>(e.created));
  }
  void operator()(const BidderQualified& e) const {
    w.text(e.lot.view());
    w.text(e.bidder.view());
    w.enumeration(e.source);
  }
  void operator()(const CommandRejected& e) const {
    w.text(e.lot.view());
    w.enumeration(e.error);
    w.text(e.field);
  }
};

}  // namespace

RecordedOutcome OutcomeHasher::digest(std::span<const Event> events) {
  scratch_.clear();
  ByteWriter w(scratch_);
  for (const Event& event : events) {
    w.integer(static_cast<std::uint8_t>(event.body.index()));
    w.integer(event.seq);
    w.integer(event.ts_ms);
    std::visit(EventEncoder{w}, event.body);
  }
  return RecordedOutcome{static_cast<std::uint32_t>(events.size()),
                         static_cast<std::uint64_t>(XXH3_64bits(scratch_.data(), scratch_.size()))};
}

}  // namespace auction::persistence
