#include "backlog.h"

#include <algorithm>

namespace auction::gateway {

Backlog::Verdict Backlog::on_event(const LotId& lot) {
  const bool queue_long = unsent() >= resync_after_frames_;
  if (!queue_long && !any_behind_.load(std::memory_order_relaxed)) return Verdict::deliver;
  std::lock_guard lock(mutex_);
  const bool behind = std::find(behind_.begin(), behind_.end(), lot) != behind_.end();
  if (!behind && !queue_long) return Verdict::deliver;
  const Clock::time_point now = Clock::now();
  if (behind_.empty()) behind_since_ = now;
  if (!behind) behind_.push_back(lot);
  any_behind_.store(true, std::memory_order_relaxed);
  if (now - behind_since_ > not_reading_timeout_) return Verdict::not_reading;
  return behind ? Verdict::skip : Verdict::fell_behind;
}

void Backlog::resynced(const LotId& lot) {
  std::lock_guard lock(mutex_);
  std::erase(behind_, lot);
  any_behind_.store(!behind_.empty(), std::memory_order_relaxed);
}

std::vector<LotId> Backlog::due_resyncs() {
  if (!any_behind_.load(std::memory_order_relaxed) || unsent() != 0) {
    return {};
  }
  std::lock_guard lock(mutex_);
  return behind_;
}

}  // namespace auction::gateway
