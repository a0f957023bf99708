// OutboundQueue: a connection's frames not yet sent, oldest first. A frame is either shared with
// other subscribers (an event, encoded once for all of them) or the connection's own text (an
// answer or reply).
//
// Why not std::deque<std::shared_ptr<const std::string>>: an answer then costs two allocations
// (its text and the shared pointer's control block) and the deque allocates a block every few
// dozen frames. Here the queue is a ring that only grows, own texts need no control block, and
// the buffers of sent own texts are kept for the next answers (take_spare), so a connection in
// steady state sends its answers without allocating.
//
// Threading: the session's executor only.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auction/engine/assert.h"
#include "auction/gateway/lot_board.h"

namespace auction::gateway {

class OutboundQueue {
 public:
  // Spare buffers kept for the next answers, and the largest kept: a rare big reply (a `lots`
  // list) is not held on to.
  static constexpr std::size_t kMaxSpares = 32;
  static constexpr std::size_t kMaxSpareBytes = 2'048;
  // More than any small-string buffer holds.
  static constexpr std::size_t kHeapBytes = sizeof(std::string) + 1;

  std::size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  // The bytes of every queued frame's text.
  std::size_t bytes() const { return bytes_; }

  // The text of the i-th oldest frame (i < size()).
  std::string_view text(std::size_t i) const { return slots_[index(i)].text(); }

  void push(const Frame& shared) {
    Slot& slot = grow_to_push();
    slot.shared = shared;
    bytes_ += shared->size();
  }
  void push(std::string&& own) {
    // A text is written from where it lies, and the ring's growth moves its slots: a short text
    // would move with its slot (the small-string buffer), so it is given room on the heap.
    if (own.capacity() < kHeapBytes) own.reserve(kHeapBytes);
    Slot& slot = grow_to_push();
    bytes_ += own.size();
    slot.own = std::move(own);
  }

  // Sent: the oldest frame leaves; an own text's buffer is kept for take_spare().
  void pop() {
    AUCTION_ASSERT(count_ > 0);
    release(slots_[head_]);
    head_ = (head_ + 1) & (slots_.size() - 1);
    --count_;
  }

  // Drops every frame from the i-th oldest on (those not being written).
  void truncate(std::size_t i) {
    while (count_ > i) {
      release(slots_[index(count_ - 1)]);
      --count_;
    }
  }

  // An empty string, with a sent answer's buffer when one is kept.
  std::string take_spare() {
    if (spares_.empty()) return {};
    std::string spare = std::move(spares_.back());
    spares_.pop_back();
    spare.clear();
    return spare;
  }

 private:
  struct Slot {
    Frame shared;     // set: an event shared with other subscribers
    std::string own;  // else: this connection's own text
    std::string_view text() const { return shared ? std::string_view(*shared) : own; }
  };

  std::size_t index(std::size_t i) const { return (head_ + i) & (slots_.size() - 1); }

  // The slot after the newest, the ring doubled first when full (its size stays a power of two).
  Slot& grow_to_push() {
    if (count_ == slots_.size()) {
      std::vector<Slot> larger(slots_.empty() ? 8 : 2 * slots_.size());
      for (std::size_t i = 0; i < count_; ++i)
        larger[i] = std::move(slots_[index(i)]);
      slots_ = std::move(larger);
      head_ = 0;
    }
    ++count_;
    return slots_[index(count_ - 1)];
  }

  // A frame leaves its slot: an own text's buffer is kept for take_spare() (or freed).
  void release(Slot& slot) {
    bytes_ -= slot.text().size();
    if (slot.shared) {
      slot.shared.reset();
    } else {
      keep_spare(std::move(slot.own));
    }
  }

  void keep_spare(std::string&& text) {
    if (spares_.size() < kMaxSpares && text.capacity() <= kMaxSpareBytes) {
      spares_.push_back(std::move(text));
    }
    text = std::string();  // a buffer not kept is freed now, not when its slot is next used
  }

  std::vector<Slot> slots_;
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  std::size_t bytes_ = 0;
  std::vector<std::string> spares_;
};

}  // namespace auction::gateway
