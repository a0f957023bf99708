#include "auction/gateway/lot_board.h"

#include <algorithm>

#include "auction/gateway/protocol.h"

namespace auction::gateway {

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

LotBoard::Entry* LotBoard::entry_of(std::string_view lot) const {
  const auto found = index_.find(lot);
  return found == index_.end() ? nullptr : found->second;
}

LotBoard::Entry& LotBoard::entry_for(std::string_view lot) {
  if (Entry* const found = entry_of(lot)) return *found;
  const auto at = lots_.try_emplace(std::string(lot)).first;
  index_.emplace(at->first, &at->second);  // a map's node never moves
  return at->second;
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
  const auto frame_of = [](std::string text) {
    return Frame(std::make_shared<const std::string>(std::move(text)));
  };
  if (const auto* configured = std::get_if<LotConfigured>(&event.body)) {
    Entry& entry = entry_for(configured->config.id.view());
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
  Entry* const found = entry_of(lot->view());
  if (found == nullptr) return;
  Entry& entry = *found;
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
    // Frames are built only when someone follows the lot.
    if (!entry.subscribers.empty()) {
      fan_out(entry, frame_of(encode_bid_event(*bid, view, event.seq, event.ts_ms, false, now_ms)),
              frame_of(encode_bid_event(*bid, view, event.seq, event.ts_ms, true, now_ms)),
              bid->bidder);
    }
  } else if (const auto* phase = std::get_if<PhaseChanged>(&event.body)) {
    // The countdown freezes at the pause (SPEC §3): what was left of the running deadline.
    const bool pausing = phase->phase == Phase::paused && view.phase != Phase::paused;
    if (pausing && view.deadline_ms) view.paused_remaining_ms = *view.deadline_ms - event.ts_ms;
    if (phase->phase != Phase::paused) view.paused_remaining_ms = 0;
    view.phase = phase->phase;
    view.deadline_ms = phase->deadline_ms;
    view.seq = event.seq;
    if (!entry.subscribers.empty()) {
      fan_out(entry, frame_of(encode_phase_event(*phase, view, event.seq, now_ms)), nullptr,
              UserId{});
    }
  } else if (const auto* closed = std::get_if<LotClosed>(&event.body)) {
    view.outcome = closed->outcome;
    view.winner = closed->winner;
    view.closed_at_ms = closed->closed_at_ms;
    view.seq = event.seq;
    if (!entry.subscribers.empty()) {
      fan_out(entry, frame_of(encode_closed_event(*closed, event.seq, false, now_ms)),
              frame_of(encode_closed_event(*closed, event.seq, true, now_ms)), closed->winner);
    }
  }
}

std::string LotBoard::snapshot_locked(const Entry& entry, const UserId& viewer,
                                      const std::optional<std::string>& request_id, TimeMs now_ms,
                                      bool resync) const {
  return encode_snapshot(entry.view, entry.recent_bids.newest_first(), viewer, request_id, now_ms,
                         resync);
}

void LotBoard::load(const LotView& view) {
  std::lock_guard lock(mutex_);
  entry_for(view.config.id.view()).view = view;
}

void LotBoard::load_recent_bid(const LotId& lot, const RecentBid& bid) {
  std::lock_guard lock(mutex_);
  if (Entry* const found = entry_of(lot.view())) found->recent_bids.push(bid);
}

std::optional<std::string> LotBoard::snapshot(const LotId& lot, const UserId& viewer,
                                              const std::optional<std::string>& request_id,
                                              TimeMs now_ms) const {
  std::lock_guard lock(mutex_);
  const auto found = entry_of(lot.view());
  if (found == nullptr) return std::nullopt;
  return snapshot_locked(*found, viewer, request_id, now_ms);
}

std::optional<std::string> LotBoard::subscribe(const LotId& lot,
                                               const std::shared_ptr<Subscriber>& who,
                                               const std::optional<std::string>& request_id,
                                               TimeMs now_ms) {
  std::lock_guard lock(mutex_);
  const auto found = entry_of(lot.view());
  if (found == nullptr) return std::nullopt;
  auto& subscribers = found->subscribers;
  const bool already = std::any_of(subscribers.begin(), subscribers.end(),
                                   [&](const auto& s) { return s.lock() == who; });
  if (!already) {
    subscribers.push_back(who);
    ++subscriber_count_;
  }
  return snapshot_locked(*found, who->viewer(), request_id, now_ms);
}

void LotBoard::unsubscribe(const LotId& lot, const Subscriber* who) {
  std::lock_guard lock(mutex_);
  const auto found = entry_of(lot.view());
  if (found == nullptr) return;
  auto& subscribers = found->subscribers;
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
  const auto found = entry_of(lot.view());
  if (found == nullptr) return std::nullopt;
  const auto& subscribers = found->subscribers;
  const bool follows = std::any_of(subscribers.begin(), subscribers.end(),
                                   [&](const auto& s) { return s.lock() == who; });
  if (!follows) return std::nullopt;  // unsubscribed meanwhile: nothing to catch up on
  return snapshot_locked(*found, who->viewer(), kNoRequestId, now_ms, true);
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
  LotsMessage message(request_id, now_ms);
  for (const auto& [id, entry] : lots_)
    message.add(entry.view);
  return message.finish();
}

std::optional<LotView> LotBoard::find(const LotId& lot) const {
  std::lock_guard lock(mutex_);
  const auto found = entry_of(lot.view());
  if (found == nullptr) return std::nullopt;
  return found->view;
}

std::vector<RecentBid> LotBoard::recent_bids(const LotId& lot) const {
  std::lock_guard lock(mutex_);
  const auto found = entry_of(lot.view());
  if (found == nullptr) return {};
  return found->recent_bids.newest_first();
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
