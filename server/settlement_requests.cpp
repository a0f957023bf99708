#include "settlement_requests.h"

#include <algorithm>

namespace auction {
namespace {

settlement::Answer unavailable() {
  settlement::Answer answer;
  answer.error = settlement::SettleError::unavailable;
  answer.message = "the shard could not journal this now";
  return answer;
}

}  // namespace

std::uint64_t SettlementRequests::add(Done done) {
  std::lock_guard lock(mutex_);
  if (unnamed_.size() + named_.size() >= kMaxPending) return 0;
  const std::uint64_t origin = kOriginBit | (next_++ & (kOriginBit - 1));
  unnamed_.emplace(origin, std::move(done));
  return origin;
}

void SettlementRequests::forget(std::uint64_t origin) {
  std::lock_guard lock(mutex_);
  unnamed_.erase(origin);
}

void SettlementRequests::named(std::uint64_t origin, Seq seq) {
  Done done;
  settlement::Answer answer;
  {
    std::lock_guard lock(mutex_);
    const auto found = unnamed_.find(origin);
    if (found == unnamed_.end()) return;  // refused already
    done = std::move(found->second);
    unnamed_.erase(found);
    const auto applied = std::find_if(recent_.begin(), recent_.end(),
                                      [seq](const auto& entry) { return entry.first == seq; });
    if (applied == recent_.end()) {
      named_.emplace(seq, std::move(done));
      return;
    }
    answer = applied->second;
  }
  if (done) done(answer);
}

void SettlementRequests::refused(std::uint64_t origin) {
  Done done;
  {
    std::lock_guard lock(mutex_);
    const auto found = unnamed_.find(origin);
    if (found == unnamed_.end()) return;
    done = std::move(found->second);
    unnamed_.erase(found);
  }
  if (done) done(unavailable());
}

void SettlementRequests::answered(std::span<const std::pair<Seq, settlement::Answer>> answers) {
  std::vector<std::pair<Done, const settlement::Answer*>> due;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [seq, answer] : answers) {
      const auto found = named_.find(seq);
      if (found != named_.end()) {
        due.emplace_back(std::move(found->second), &answer);
        named_.erase(found);
        continue;
      }
      recent_.emplace_back(seq, answer);
      if (recent_.size() > kRecentAnswers) recent_.pop_front();
    }
  }
  for (auto& [done, answer] : due) {
    if (done) done(*answer);
  }
}

}  // namespace auction
