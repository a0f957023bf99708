// Settlement inputs on their way through a replicated shard's journal (SPEC §11): each is sent
// as an ExternalInput command under an origin of its own; the leader (or the forwarder) names
// the seq it was journaled at, and this node's settler answers that seq once it applied it.
//
// Contract: every added request is answered exactly once, through its `done`, unless forget()
// takes it back (it was never sent): with the settler's answer for its seq, whichever of the two
// (named() or answered()) comes second sends it; or `unavailable` when refused. Answers nobody
// waits for yet are kept for the last kRecentAnswers seqs. At most kMaxPending requests wait.
// Threading: any thread; one mutex; `done` runs outside it.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "auction/engine/types.h"
#include "auction/settlement/input.h"

namespace auction {

class SettlementRequests {
 public:
  // Origins of settlement inputs have this bit set (the admin server's use bit 63, forwarded
  // commands on a leader bit 62, the bidder server only low bits).
  static constexpr std::uint64_t kOriginBit = std::uint64_t{1} << 61;
  static constexpr std::size_t kMaxPending = 10'000;
  static constexpr std::size_t kRecentAnswers = 4'096;
  using Done = std::function<void(const settlement::Answer&)>;

  static bool owns(std::uint64_t origin) { return (origin & kOriginBit) != 0; }

  // The origin to send the input under; 0 when too many wait already.
  std::uint64_t add(Done done);
  void forget(std::uint64_t origin);
  // The input sent under `origin` was journaled at `seq`.
  void named(std::uint64_t origin, Seq seq);
  void refused(std::uint64_t origin);
  // This node's settler applied (and made durable) the inputs journaled at these seqs.
  void answered(std::span<const std::pair<Seq, settlement::Answer>> answers);

 private:
  std::mutex mutex_;
  std::uint64_t next_ = 1;
  std::unordered_map<std::uint64_t, Done> unnamed_;  // by origin
  std::unordered_map<Seq, Done> named_;              // by seq, waiting for the settler
  std::deque<std::pair<Seq, settlement::Answer>> recent_;
};

}  // namespace auction
