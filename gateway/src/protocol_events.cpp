// The bidder protocol's lot messages (SPEC §7): the events a lot's subscribers get, its snapshot,
// and the `lots` list. Bidder names are masked except for the viewer's own.
#include "auction/gateway/json_writer.h"
#include "auction/gateway/protocol.h"
#include "message_header.h"

namespace auction::gateway {
namespace {

std::int64_t i64(std::uint64_t value) {
  return static_cast<std::int64_t>(value);
}

std::optional<std::int64_t> amount_or_null(AmountMinor amount) {
  return amount == 0 ? std::nullopt : std::optional<std::int64_t>(amount);
}

std::string shown(const UserId& user, bool plain) {
  return plain ? std::string(user.view()) : mask_user(user.view());
}

const RequestId kNoId;  // events answer no request

}  // namespace

std::string encode_bid_event(const BidAccepted& bid, const LotView& after, Seq seq, TimeMs at_ms,
                             bool plain, TimeMs ts_ms) {
  std::string out;
  JsonWriter w(out);
  message_header(w, "bid", kNoId, ts_ms)
      .field("lot", bid.lot.view())
      .field("amount", bid.amount_minor)
      .field("bidder", shown(bid.bidder, plain))
      .field("at_ms", at_ms)  // the bid's sequencing time (SPEC §7)
      .field("deadline_ms", bid.deadline_ms)
      .field("min_next", after.min_next_minor())
      .field("bids", std::int64_t{bid.bid_count})
      .field("reserve_met", after.reserve_met())
      .field("seq", i64(seq));
  if (bid.auto_bid) w.field("auto", true);
  if (bid.priority_match) w.field("match", true);
  w.end_object();
  return out;
}

std::string encode_phase_event(const PhaseChanged& phase, const LotView& after, Seq seq,
                               TimeMs ts_ms) {
  std::string out;
  JsonWriter w(out);
  message_header(w, "phase", kNoId, ts_ms)
      .field("lot", phase.lot.view())
      .field("phase", phase_name(phase.phase))
      .field("deadline_ms", phase.deadline_ms)
      .field("min_next", after.min_next_minor())
      .field("seq", i64(seq))
      .end_object();
  return out;
}

std::string encode_closed_event(const LotClosed& closed, Seq seq, bool plain, TimeMs ts_ms) {
  std::string out;
  JsonWriter w(out);
  message_header(w, "closed", kNoId, ts_ms)
      .field("lot", closed.lot.view())
      .field("outcome", outcome_name(closed.outcome));
  if (closed.winner.empty()) {
    w.field_null("winner");
  } else {
    w.field("winner", shown(closed.winner, plain));
  }
  w.field("price", amount_or_null(closed.price_minor))
      .field("currency", closed.currency.view())
      .field("minor_unit", std::int64_t{closed.currency.minor_unit_digits()})
      .field("closed_at_ms", closed.closed_at_ms)
      .field("seq", i64(seq))
      .end_object();
  return out;
}

std::string encode_snapshot(const LotView& v, const std::vector<RecentBid>& recent_newest_first,
                            const UserId& viewer, const RequestId& id, TimeMs ts_ms, bool resync) {
  std::string out;
  JsonWriter w(out);
  message_header(w, "snapshot", id, ts_ms);
  // In place of the events this subscriber skipped; first, so that it leads the message.
  if (resync) w.field("resync", true);
  w.field("lot", v.config.id.view())
      .field("title", v.config.title.view())
      .field("currency", v.config.currency.view())
      .field("minor_unit", std::int64_t{v.config.currency.minor_unit_digits()})
      .field("phase", phase_name(v.phase))
      .field("start_price", v.config.start_price_minor)
      .field("increment", v.config.increment_minor)
      .field("price", amount_or_null(v.price_minor));
  if (v.leader.empty()) {
    w.field_null("leader");
  } else {
    w.field("leader", shown(v.leader, v.leader == viewer));
  }
  w.field("min_next", v.min_next_minor())
      .field("deadline_ms", v.deadline_ms)
      .field("reserve_met", v.reserve_met())
      .field("deposit", v.config.deposit_minor)
      .field("bids", std::int64_t{v.bid_count})
      .field("starts_at_ms", v.config.starts_at_ms)
      .field("seq", i64(v.seq));
  if (v.outcome) w.field("outcome", outcome_name(*v.outcome));
  // The lot's last bids, newest last (after a restart too: the board is seeded from the journal).
  w.begin_array("recent");
  for (auto bid = recent_newest_first.rbegin(); bid != recent_newest_first.rend(); ++bid) {
    w.begin_object()
        .field("amount", bid->amount_minor)
        .field("bidder", shown(bid->bidder, bid->bidder == viewer))
        .field("at_ms", bid->ts_ms)
        .field("auto", bid->auto_bid)
        .field("match", bid->priority_match)
        .end_object();
  }
  w.end_array();
  if (!v.config.increments.empty()) w.field_raw("increments", increments_json(v.config));
  w.field("max_bids", allows_max_bids(v.config));
  w.field("your_max", v.your_max_minor(viewer));
  // The viewer's own right only: who else holds one is the auctioneer's business.
  const std::uint32_t rank = viewer.empty() ? 0 : priority_rank(v.config, viewer);
  w.field("priority", rank == 0 ? std::nullopt : std::optional<std::int64_t>(rank));
  w.end_object();
  return out;
}

LotsMessage::LotsMessage(const RequestId& id, TimeMs ts_ms) : writer_(out_) {
  message_header(writer_, "lots", id, ts_ms);
  writer_.begin_array("lots");
}

void LotsMessage::add(const LotView& v) {
  writer_.begin_object()
      .field("lot", v.config.id.view())
      .field("title", v.config.title.view())
      .field("phase", phase_name(v.phase))
      .field("price", amount_or_null(v.price_minor))
      .field("deadline_ms", v.deadline_ms)
      .field("currency", v.config.currency.view())
      .field("minor_unit", std::int64_t{v.config.currency.minor_unit_digits()})
      .field("start_price", v.config.start_price_minor)
      .field("bids", std::int64_t{v.bid_count})
      .field("min_next", v.min_next_minor())
      .field("starts_at_ms", v.config.starts_at_ms)
      .end_object();
}

std::string LotsMessage::finish() {
  writer_.end_array().end_object();
  return std::move(out_);
}

}  // namespace auction::gateway
