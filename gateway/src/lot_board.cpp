#include "auction/gateway/lot_board.h"

#include <algorithm>

#include "auction/gateway/json_writer.h"

namespace auction::gateway {
namespace {

std::int64_t i64(std::uint64_t value) {
  return static_cast<std::int64_t>(value);
}

void header(JsonWriter& w, std::string_view type, TimeMs now_ms,
            const std::optional<std::string>& request_id) {
  w.begin_object().field("type", type).field("ts", now_ms);
  if (request_id) w.field("id", *request_id);
}

std::optional<std::int64_t> amount_or_null(AmountMinor amount) {
  return amount == 0 ? std::nullopt : std::optional<std::int64_t>(amount);
}

}  // namespace

std::optional<AmountMinor> LotView::min_next_minor() const {
  if (bidding_over()) return std::nullopt;
  const AmountMinor next =
      price_minor == 0 ? config.start_price_minor : next_price(config, price_minor);
  return next > kMaxAmountMinor ? std::nullopt : std::optional<AmountMinor>(next);
}

std::string increments_json(const LotConfig& config) {
  std::string json = "[";
  for (const IncrementBand& band : config.increments) {
    if (json.size() > 1) json += ',';
    json +=
        '[' + std::to_string(band.from_minor) + ',' + std::to_string(band.increment_minor) + ']';
  }
  return json + ']';
}

std::string mask_user(std::string_view user) {
  if (user.size() <= 2) return std::string(user.size(), '*');
  return std::string(1, user.front()) + "***" + std::string(1, user.back());
}

void LotBoard::fan_out(Entry& entry, const Frame& masked, const Frame& plain,
                       const UserId& plain_for) {
  auto& subscribers = entry.subscribers;
  if (courier_) batch_.reserve(batch_.size() + subscribers.size());
  for (std::size_t i = 0; i < subscribers.size();) {
    if (auto who = subscribers[i].lock()) {
      if (who->wants_event(entry.view.config.id)) {  // else: behind, resynced later (SPEC §7)
        const Frame& frame =
            plain && !plain_for.empty() && who->viewer() == plain_for ? plain : masked;
        if (courier_) {
          who->handed();
          batch_.push_back(Delivery{std::move(who), frame});
        } else {
          who->deliver(frame);
        }
      }
      ++i;
    } else {
      subscribers[i] = std::move(subscribers.back());  // a closed session: drop it
      subscribers.pop_back();
      --subscriber_count_;
    }
  }
}

void LotBoard::set_courier(Courier* courier) {
  std::lock_guard lock(mutex_);
  courier_ = courier;
}

void LotBoard::publish(std::span<const Event> events, TimeMs now_ms) {
  std::lock_guard lock(mutex_);
  for (const Event& event : events)
    publish_locked(event, now_ms);
  if (courier_ && !batch_.empty()) {
    courier_->hand_over(std::move(batch_));
    batch_.clear();  // moved from: valid, emptied for the next publish
  }
}

void LotBoard::publish_locked(const Event& event, TimeMs now_ms) {
  const auto frame_of = [&](auto&& fill) {
    auto text = std::make_shared<std::string>();
    JsonWriter w(*text);
    fill(w);
    w.end_object();
    return Frame(std::move(text));
  };
  if (const auto* configured = std::get_if<LotConfigured>(&event.body)) {
    Entry& entry = lots_[std::string(configured->config.id.view())];
    entry.view.config = configured->config;
    entry.view.seq = event.seq;
    return;
  }
  const LotId* lot = nullptr;
  std::visit(
      [&](const auto& body) {
        if constexpr (requires { body.lot; }) lot = &body.lot;
      },
      event.body);
  if (lot == nullptr) return;
  const auto found = lots_.find(lot->view());
  if (found == lots_.end()) return;
  Entry& entry = found->second;
  LotView& view = entry.view;

  if (const auto* max = std::get_if<MaxBidAccepted>(&event.body)) {
    // Never sent to anyone: a raise of the leader's own maximum is only remembered for it.
    if (max->bidder == view.leader) view.leader_max_minor = max->max_minor;
    view.seq = event.seq;
    return;
  }
  if (const auto* bid = std::get_if<BidAccepted>(&event.body)) {
    view.price_minor = bid->amount_minor;
    view.leader = bid->bidder;
    view.leader_max_minor = bid->leader_max_minor;
    view.bid_count = bid->bid_count;
    view.deadline_ms = bid->deadline_ms;
    view.seq = event.seq;
    entry.recent_bids.push(RecentBid{event.seq, event.ts_ms, bid->bidder, bid->amount_minor,
                                     bid->auto_bid, bid->priority_match});
    const auto fill = [&](bool plain) {
      return [&, plain](JsonWriter& w) {
        header(w, "bid", now_ms, std::nullopt);
        w.field("lot", bid->lot.view())
            .field("amount", bid->amount_minor)
            .field("bidder",
                   plain ? std::string(bid->bidder.view()) : mask_user(bid->bidder.view()))
            .field("at_ms", event.ts_ms)  // the bid's sequencing time (SPEC §7)
            .field("deadline_ms", bid->deadline_ms)
            .field("min_next", view.min_next_minor())
            .field("bids", std::int64_t{bid->bid_count})
            .field("reserve_met", view.reserve_met())
            .field("seq", i64(event.seq));
        if (bid->auto_bid) w.field("auto", true);
        if (bid->priority_match) w.field("match", true);
      };
    };
    // Frames are built only when someone follows the lot.
    if (!entry.subscribers.empty()) {
      fan_out(entry, frame_of(fill(false)), frame_of(fill(true)), bid->bidder);
    }
  } else if (const auto* phase = std::get_if<PhaseChanged>(&event.body)) {
    // The countdown freezes at the pause (SPEC §3): what was left of the running deadline.
    const bool pausing = phase->phase == Phase::paused && view.phase != Phase::paused;
    if (pausing && view.deadline_ms) view.paused_remaining_ms = *view.deadline_ms - event.ts_ms;
    if (phase->phase != Phase::paused) view.paused_remaining_ms = 0;
    view.phase = phase->phase;
    view.deadline_ms = phase->deadline_ms;
    view.seq = event.seq;
    if (!entry.subscribers.empty())
      fan_out(entry, frame_of([&](JsonWriter& w) {
                header(w, "phase", now_ms, std::nullopt);
                w.field("lot", phase->lot.view())
                    .field("phase", phase_name(phase->phase))
                    .field("deadline_ms", phase->deadline_ms)
                    .field("min_next", view.min_next_minor())
                    .field("seq", i64(event.seq));
              }),
              nullptr, UserId{});
  } else if (const auto* closed = std::get_if<LotClosed>(&event.body)) {
    view.outcome = closed->outcome;
    view.winner = closed->winner;
    view.closed_at_ms = closed->closed_at_ms;
    view.seq = event.seq;
    const auto fill = [&](bool plain) {
      return [&, plain](JsonWriter& w) {
        header(w, "closed", now_ms, std::nullopt);
        w.field("lot", closed->lot.view()).field("outcome", outcome_name(closed->outcome));
        if (closed->winner.empty()) {
          w.field_null("winner");
        } else {
          w.field("winner",
                  plain ? std::string(closed->winner.view()) : mask_user(closed->winner.view()));
        }
        w.field("price", amount_or_null(closed->price_minor))
            .field("currency", closed->currency.view())
            .field("minor_unit", std::int64_t{closed->currency.minor_unit_digits()})
            .field("closed_at_ms", closed->closed_at_ms)
            .field("seq", i64(event.seq));
      };
    };
    if (!entry.subscribers.empty()) {
      fan_out(entry, frame_of(fill(false)), frame_of(fill(true)), closed->winner);
    }
  }
}

std::string LotBoard::snapshot_locked(const Entry& entry, const UserId& viewer,
                                      const std::optional<std::string>& request_id, TimeMs now_ms,
                                      bool resync) const {
  const LotView& v = entry.view;
  std::string out;
  JsonWriter w(out);
  header(w, "snapshot", now_ms, request_id);
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
    w.field("leader",
            v.leader == viewer ? std::string(v.leader.view()) : mask_user(v.leader.view()));
  }
  w.field("min_next", v.min_next_minor())
      .field("deadline_ms", v.deadline_ms)
      .field("reserve_met", v.reserve_met())
      .field("deposit", v.config.deposit_minor)
      .field("bids", std::int64_t{v.bid_count})
      .field("starts_at_ms", v.config.starts_at_ms)
      .field("seq", i64(v.seq));
  if (v.outcome) {
    w.field("outcome", outcome_name(*v.outcome));
  }
  // The lot's last bids, newest last (after a restart too: the board is seeded from the journal).
  const std::vector<RecentBid> recent = entry.recent_bids.newest_first();
  w.begin_array("recent");
  for (auto bid = recent.rbegin(); bid != recent.rend(); ++bid) {
    w.begin_object()
        .field("amount", bid->amount_minor)
        .field("bidder", bid->bidder == viewer ? std::string(bid->bidder.view())
                                               : mask_user(bid->bidder.view()))
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

void LotBoard::load(const LotView& view) {
  std::lock_guard lock(mutex_);
  lots_[std::string(view.config.id.view())].view = view;
}

void LotBoard::load_recent_bid(const LotId& lot, const RecentBid& bid) {
  std::lock_guard lock(mutex_);
  const auto found = lots_.find(lot.view());
  if (found != lots_.end()) found->second.recent_bids.push(bid);
}

std::optional<std::string> LotBoard::snapshot(const LotId& lot, const UserId& viewer,
                                              const std::optional<std::string>& request_id,
                                              TimeMs now_ms) const {
  std::lock_guard lock(mutex_);
  const auto found = lots_.find(lot.view());
  if (found == lots_.end()) return std::nullopt;
  return snapshot_locked(found->second, viewer, request_id, now_ms);
}

std::optional<std::string> LotBoard::subscribe(const LotId& lot,
                                               const std::shared_ptr<Subscriber>& who,
                                               const std::optional<std::string>& request_id,
                                               TimeMs now_ms) {
  std::lock_guard lock(mutex_);
  const auto found = lots_.find(lot.view());
  if (found == lots_.end()) return std::nullopt;
  auto& subscribers = found->second.subscribers;
  const bool already = std::any_of(subscribers.begin(), subscribers.end(),
                                   [&](const auto& s) { return s.lock() == who; });
  if (!already) {
    subscribers.push_back(who);
    ++subscriber_count_;
  }
  return snapshot_locked(found->second, who->viewer(), request_id, now_ms);
}

void LotBoard::unsubscribe(const LotId& lot, const Subscriber* who) {
  std::lock_guard lock(mutex_);
  const auto found = lots_.find(lot.view());
  if (found == lots_.end()) return;
  auto& subscribers = found->second.subscribers;
  const auto before = subscribers.size();
  std::erase_if(subscribers, [&](const auto& s) {
    const auto locked = s.lock();
    return !locked || locked.get() == who;
  });
  subscriber_count_ -= before - subscribers.size();
}

namespace {
// A resync answers no request. (A named constant, not a temporary: GCC 12 at -O1 warns of the
// temporary's destructor as maybe-uninitialized.)
const std::optional<std::string> kNoRequestId;
}  // namespace

std::optional<std::string> LotBoard::resync(const LotId& lot,
                                            const std::shared_ptr<Subscriber>& who, TimeMs now_ms) {
  std::lock_guard lock(mutex_);
  who->resynced(lot);
  const auto found = lots_.find(lot.view());
  if (found == lots_.end()) return std::nullopt;
  const auto& subscribers = found->second.subscribers;
  const bool follows = std::any_of(subscribers.begin(), subscribers.end(),
                                   [&](const auto& s) { return s.lock() == who; });
  if (!follows) return std::nullopt;  // unsubscribed meanwhile: nothing to catch up on
  return snapshot_locked(found->second, who->viewer(), kNoRequestId, now_ms, true);
}

void LotBoard::unsubscribe_all(const Subscriber* who) {
  std::lock_guard lock(mutex_);
  for (auto& [id, entry] : lots_) {
    const auto before = entry.subscribers.size();
    std::erase_if(entry.subscribers, [&](const auto& s) {
      const auto locked = s.lock();
      return !locked || locked.get() == who;
    });
    subscriber_count_ -= before - entry.subscribers.size();
  }
}

std::string LotBoard::lots_message(const std::optional<std::string>& request_id,
                                   TimeMs now_ms) const {
  std::lock_guard lock(mutex_);
  std::string out;
  JsonWriter w(out);
  header(w, "lots", now_ms, request_id);
  w.begin_array("lots");
  for (const auto& [id, entry] : lots_) {
    const LotView& v = entry.view;
    w.begin_object()
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
  w.end_array().end_object();
  return out;
}

std::optional<LotView> LotBoard::find(const LotId& lot) const {
  std::lock_guard lock(mutex_);
  const auto found = lots_.find(lot.view());
  if (found == lots_.end()) return std::nullopt;
  return found->second.view;
}

std::vector<RecentBid> LotBoard::recent_bids(const LotId& lot) const {
  std::lock_guard lock(mutex_);
  const auto found = lots_.find(lot.view());
  if (found == lots_.end()) return {};
  return found->second.recent_bids.newest_first();
}

std::vector<LotView> LotBoard::list() const {
  std::lock_guard lock(mutex_);
  std::vector<LotView> views;
  views.reserve(lots_.size());
  for (const auto& [id, entry] : lots_)
    views.push_back(entry.view);
  return views;
}

std::size_t LotBoard::lot_count() const {
  std::lock_guard lock(mutex_);
  return lots_.size();
}

std::size_t LotBoard::subscriber_count() const {
  std::lock_guard lock(mutex_);
  return subscriber_count_;
}

}  // namespace auction::gateway
