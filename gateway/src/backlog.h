// A subscriber's backlog (SPEC §7, resync): how many frames its connection has not sent yet —
// handed to its executor but not queued yet (a busy IO thread is where a hot lot's backlog
// builds), or queued but not written — and the lots whose events it skips because it fell too
// far behind. Instead of an ever longer
// queue (or a disconnect), such a subscriber skips the lot's events and, once its queue is
// empty, gets one fresh snapshot per lot ("resync": true). A subscriber that stays behind past
// the not-reading timeout does not read at all: its connection is closed.
//
// Threading: on_event() and resynced() run on the board's publishing thread under the board's
// lock; queued() and due_resyncs() on the session's executor. Every method is thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <vector>

#include "auction/engine/types.h"

namespace auction::gateway {

class Backlog {
 public:
  using Clock = std::chrono::steady_clock;
  Backlog(std::size_t resync_after_frames, std::chrono::milliseconds not_reading_timeout)
      : resync_after_frames_(resync_after_frames), not_reading_timeout_(not_reading_timeout) {}

  enum class Verdict {
    deliver,      // send the event
    skip,         // behind on this lot: its resync snapshot will replace the event
    fell_behind,  // skip, and the lot has just fallen behind: check for a resync now (the
                  // session may have emptied its queue, and looked, just before)
    not_reading,  // behind for longer than the timeout: close the connection
  };
  // For each event of `lot`, before it is queued. The common case (nothing behind, a short
  // queue) reads two atomics and no clock.
  Verdict on_event(const LotId& lot);
  // The lot's resync snapshot is being queued: its events flow again.
  void resynced(const LotId& lot);
  // The connection's queue length after each change.
  void queued(std::size_t frames) { frames_.store(frames, std::memory_order_relaxed); }
  // A frame handed to the session's executor (any thread), and taken up by it.
  void handed() { handed_.fetch_add(1, std::memory_order_relaxed); }
  void taken() { handed_.fetch_sub(1, std::memory_order_relaxed); }
  // The lots to resync now: those behind, once the queue is empty; none otherwise.
  std::vector<LotId> due_resyncs();

 private:
  const std::size_t resync_after_frames_;
  const std::chrono::milliseconds not_reading_timeout_;
  std::size_t unsent() const {
    return frames_.load(std::memory_order_relaxed) + handed_.load(std::memory_order_relaxed);
  }

  std::atomic<std::size_t> frames_{0};
  std::atomic<std::size_t> handed_{0};
  std::atomic<bool> any_behind_{false};
  std::mutex mutex_;
  std::vector<LotId> behind_;  // at most the lots this connection follows
  Clock::time_point behind_since_{};
};

}  // namespace auction::gateway
