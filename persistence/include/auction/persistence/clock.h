// The pipeline's only source of time, injectable so tests control it.
//
// Contract: now_ms() returns Unix epoch milliseconds. The pipeline never lets sequenced
// timestamps go backwards, whatever the clock does (it uses max(now, last)).
// Threading: now_ms() may be called from any thread.
#pragma once

#include <atomic>

#include "auction/engine/types.h"

namespace auction::persistence {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeMs now_ms() = 0;
};

class SystemClock final : public Clock {
 public:
  TimeMs now_ms() override;
};

// A clock tests move by hand.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimeMs start_ms) : now_ms_(start_ms) {}
  TimeMs now_ms() override { return now_ms_.load(); }
  void set(TimeMs now_ms) { now_ms_.store(now_ms); }
  void advance(DurationMs by_ms) { now_ms_.fetch_add(by_ms); }

 private:
  std::atomic<TimeMs> now_ms_;
};

}  // namespace auction::persistence
