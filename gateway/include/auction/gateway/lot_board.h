// The lots' public state as of the journal's durable watermark, and their subscribers.
//
// Contract:
//   - publish() takes the engine's events in sequence order, only once they are durable, and
//     applies them to the board; a snapshot therefore never shows anything not yet durable.
//   - Each event is serialized once (twice for a bid: masked for others, plain for its bidder)
//     and the same frame is handed to every subscriber of the lot.
//   - subscribe() builds the snapshot and registers the subscriber under the same lock publish()
//     takes, so a snapshot followed by the events after its `seq` equals a fresh snapshot:
//     no event is missed or doubled, also while bids arrive during the subscribe (SPEC §7).
//   - Bidder names are masked to other bidders ("a***e"); a bidder always sees its own name.
//   - A subscriber that falls behind skips a lot's events (Subscriber::wants_event) and, once it
//     has caught up, gets resync(): a fresh snapshot marked "resync": true, built under the same
//     lock, so the snapshot + events rule holds again from it on.
//   - With a Courier, a publish()'s frames for every subscriber leave in one hand-off (a batch
//     for the IO thread) instead of one deliver() per subscriber.
// Threading: all methods are thread-safe; publish() is called by one thread (the journal's
// writer); Subscriber::deliver(), handed() and Courier::hand_over() are called with the board's
// lock held and must not block.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "auction/engine/event.h"
#include "auction/gateway/lot_view.h"

namespace auction::gateway {

using Frame = std::shared_ptr<const std::string>;

class Subscriber {
 public:
  virtual ~Subscriber() = default;
  // Queues a frame for sending; never blocks (a full queue is the subscriber's problem).
  virtual void deliver(const Frame& frame) = 0;
  // Which of the server's IO threads (lanes, 0 up) the subscriber runs on: a Courier hands each
  // lane its own deliveries.
  virtual unsigned lane() const { return 0; }
  // The logged-in user, or the empty id.
  virtual UserId viewer() const = 0;
  // Under the board's lock, before each event of `lot` (SPEC §7, resync): false skips it, for a
  // subscriber too far behind; that subscriber then asks for LotBoard::resync() once it has
  // caught up and gets none of the lot's events until its fresh snapshot.
  virtual bool wants_event(const LotId& lot) {
    (void)lot;
    return true;
  }
  // Under the board's lock: the lot's resync snapshot is on its way to this subscriber.
  virtual void resynced(const LotId& lot) { (void)lot; }
  // deliver() in two halves, for a board with a Courier: handed() under the board's lock as the
  // frame joins the hand-off; take() on the subscriber's own thread, as the courier's batch
  // runs (it queues the frame); flush() there after the batch's last take() (it starts sending).
  virtual void handed() {}
  virtual void take(const Frame& frame) { deliver(frame); }
  virtual void flush() {}
};

// One frame for one subscriber, in a courier's batch.
struct Delivery {
  std::shared_ptr<Subscriber> who;
  Frame frame;
};

// Carries a publish()'s deliveries, in order, to the threads the subscribers run on, one hand-off
// per thread (Subscriber::lane()): there it calls take() for each, then flush().
class Courier {
 public:
  virtual ~Courier() = default;
  virtual void hand_over(std::vector<Delivery>&& batch) = 0;
};

class LotBoard {
 public:
  // The events of whole commands, under one lock: a snapshot never splits a command (a maximum
  // bid's two price moves share one seq), so "the events after its seq" are all it lacks.
  void publish(std::span<const Event> events, TimeMs now_ms);
  // Seeds the board with a lot's recovered state (at start-up, before any publish()).
  void load(const LotView& view);
  // Seeds a lot's recent bids (at start-up, oldest first, after load()).
  void load_recent_bid(const LotId& lot, const RecentBid& bid);

  // The snapshot message for `lot` as `viewer` sees it (none if the lot is unknown).
  std::optional<std::string> snapshot(const LotId& lot, const UserId& viewer,
                                      const std::optional<std::string>& request_id,
                                      TimeMs now_ms) const;
  // Registers `subscriber` and returns its snapshot atomically (none if the lot is unknown).
  std::optional<std::string> subscribe(const LotId& lot, const std::shared_ptr<Subscriber>& who,
                                       const std::optional<std::string>& request_id, TimeMs now_ms);
  void unsubscribe(const LotId& lot, const Subscriber* who);
  // `courier` carries every delivery from now on (null: deliver() each); it must outlive its use.
  void set_courier(Courier* courier);
  void unsubscribe_all(const Subscriber* who);
  // SPEC §7: a fresh snapshot of `lot` marked "resync": true, delivered to `who` in place of the
  // events it skipped; the lot's events after it follow as usual. Only a snapshot's worth of
  // bookkeeping when `who` no longer follows the lot.
  // Returned, not delivered: the caller queues it at once on its own executor, ahead of any
  // event published after it (a post from there could be overtaken by one from this thread).
  std::optional<std::string> resync(const LotId& lot, const std::shared_ptr<Subscriber>& who,
                                    TimeMs now_ms);
  std::string lots_message(const std::optional<std::string>& request_id, TimeMs now_ms) const;
  std::optional<LotView> find(const LotId& lot) const;
  // The lot's last accepted bids, newest first (since the newest snapshot at start-up).
  std::vector<RecentBid> recent_bids(const LotId& lot) const;
  std::vector<LotView> list() const;  // every lot, by id
  std::size_t lot_count() const;
  std::size_t subscriber_count() const;

 private:
  struct Entry {
    LotView view;
    RecentBids recent_bids;
    std::vector<std::weak_ptr<Subscriber>> subscribers;
  };
  // The lot's entry, found through index_ (a tree walk over 1,000 lots is a dozen cache misses
  // per event), or null; entry_for() makes it when there is none.
  Entry* entry_of(std::string_view lot) const;
  Entry& entry_for(std::string_view lot);
  void publish_locked(const Event& event, TimeMs now_ms);
  void fan_out(Entry& entry, const Frame& masked, const Frame& plain, const UserId& plain_for);
  std::string snapshot_locked(const Entry& entry, const UserId& viewer,
                              const std::optional<std::string>& request_id, TimeMs now_ms,
                              bool resync = false) const;

  mutable std::mutex mutex_;
  Courier* courier_ = nullptr;
  std::vector<Delivery> batch_;  // the deliveries of the publish() under way, for courier_
  std::map<std::string, Entry, std::less<>> lots_;  // by id, so `lots` lists in a stable order
  // lots_'s entries by id, each key held in its own node: a lookup reads no other line to compare.
  struct IdHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view id) const { return std::hash<std::string_view>{}(id); }
  };
  std::unordered_map<std::string, Entry*, IdHash, std::equal_to<>> index_;
  std::size_t subscriber_count_ = 0;
};

}  // namespace auction::gateway
