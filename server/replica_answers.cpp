#include "replica_answers.h"

#include <algorithm>

namespace auction {

void ReplicaAnswers::applied(std::span<const Event> events, Seq applied_seq) {
  std::vector<std::pair<std::uint64_t, Applied>> due;
  {
    std::lock_guard lock(mutex_);
    for (const Event& event : events) {
      if (recent_.empty() || recent_.back().seq != event.seq) recent_.push_back({event.seq, {}});
      recent_.back().events.push_back(event);
    }
    while (recent_.size() > kRecentCommands)
      recent_.pop_front();
    applied_seq_ = std::max(applied_seq_, applied_seq);
    const auto end = waiting_.upper_bound(applied_seq_);
    for (auto it = waiting_.begin(); it != end; ++it) {
      const Applied* found = find(it->first);
      due.emplace_back(it->second, found != nullptr ? *found : Applied{it->first, {}});
    }
    waiting_.erase(waiting_.begin(), end);
  }
  for (const auto& [origin, command] : due) {
    if (command.events.empty()) {
      refuse_(origin);
    } else {
      answer_(origin, command.seq, command.events);
    }
  }
}

void ReplicaAnswers::named(std::uint64_t origin, Seq seq) {
  Applied command;
  {
    std::lock_guard lock(mutex_);
    if (seq > applied_seq_) {
      waiting_.emplace(seq, origin);
      return;
    }
    if (const Applied* found = find(seq)) command = *found;
  }
  if (command.events.empty()) return refuse_(origin);
  answer_(origin, seq, command.events);
}

const ReplicaAnswers::Applied* ReplicaAnswers::find(Seq seq) const {
  const auto found = std::lower_bound(recent_.begin(), recent_.end(), seq,
                                      [](const Applied& a, Seq s) { return a.seq < s; });
  return found != recent_.end() && found->seq == seq ? &*found : nullptr;
}

}  // namespace auction
