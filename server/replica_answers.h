// Answers on a follower (SPEC §11): a forwarded command is answered from this node's own replica
// of the journal, once the leader has named the command's seq AND this node has applied it.
//
// Contract: every named origin is answered exactly once, with the events its seq produced here;
// whichever comes second (the leader's reply or the local apply) sends the answer. The events of
// the last kRecentCommands applied commands are kept for replies that arrive late; an origin
// whose seq fell out of that window is refused (its outcome must be read from the lot).
// Threading: applied() from the node's loop, named() from libnats' thread; one mutex.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <span>
#include <vector>

#include "auction/engine/event.h"

namespace auction {

class ReplicaAnswers {
 public:
  static constexpr std::size_t kRecentCommands = 65'536;
  using Answer = std::function<void(std::uint64_t origin, Seq seq, std::span<const Event> events)>;
  using Refuse = std::function<void(std::uint64_t origin)>;

  ReplicaAnswers(Answer answer, Refuse refuse)
      : answer_(std::move(answer)), refuse_(std::move(refuse)) {}

  // Commands up to `applied_seq` are applied here; `events` are those of the new ones.
  void applied(std::span<const Event> events, Seq applied_seq);
  // The leader journaled `origin`'s command as `seq`.
  void named(std::uint64_t origin, Seq seq);

 private:
  struct Applied {
    Seq seq = 0;
    std::vector<Event> events;
  };
  const Applied* find(Seq seq) const;

  Answer answer_;
  Refuse refuse_;
  std::mutex mutex_;
  Seq applied_seq_ = 0;
  std::deque<Applied> recent_;  // ascending seqs
  std::multimap<Seq, std::uint64_t> waiting_;
};

}  // namespace auction
