// A follower's side of the replicated journal (SPEC §11): the shard's stream, in order, into the
// node's own journal and a warm engine, so that a takeover replays only a short tail.
//
//   JetStream ──ordered consumer──▶ Follower::poll ──▶ local Journal (write, fsync)
//                                                  └─▶ replay_journal ──▶ Engine ──▶ events
//
// Contract:
//   - Batches are applied in stream order, each at most once: a batch the local journal already
//     holds is compared record by record with it and skipped, so a node can restart from any
//     position at or before its journal's end.
//   - Every new batch must continue the local journal (its first seq = local last + 1) and its
//     records must fold to the chain digest the leader recorded; anything else is a `corruption`
//     Status naming the seq, and nothing of that batch is written (a journal that disagrees with
//     the stream below the stream's tail is refused, never silently overwritten).
//   - A batch is on the local disk (fsync) before the engine applies it and before its events
//     leave: a follower's subscribers never see what its own journal could lose.
//   - Fences are noted (who leads since which stream seq) and change nothing else.
// Threading: one thread (the node's follower loop) uses a Follower; the engine is that
// thread's while it follows.
#pragma once

#include <cstdint>
#include <string>

#include "auction/cluster/nats_link.h"
#include "auction/cluster/stream_record.h"
#include "auction/engine/engine.h"
#include "auction/persistence/journal.h"

namespace auction::cluster {

class Follower {
 public:
  // `events` receives the engine's events of each applied batch (may be null).
  Follower(NatsLink& link, const ShardNames& names, persistence::Journal& journal, Engine& engine,
           EventSink* events);
  ~Follower();
  Follower(const Follower&) = delete;
  Follower& operator=(const Follower&) = delete;

  // Starts reading after stream sequence `after_seq` (1 = after the genesis record).
  Status start(std::uint64_t after_seq);
  // Applies the records that arrive within `timeout_ms` (returns as soon as the stream has no
  // more pending after at least one, or the time is up). ok also when nothing arrived.
  Status poll(DurationMs timeout_ms);
  // Applies everything up to stream sequence `seq` (a new leader's fence) or fails at the deadline.
  Status catch_up_to(std::uint64_t seq, DurationMs timeout_ms);

  std::uint64_t stream_seq() const { return stream_seq_; }  // the last one applied
  // After a `corruption` from poll(): the first local seq that the stream does not hold (the
  // local journal from there on diverged from the stream), or 0 when that was not the cause.
  Seq diverged_at() const { return diverged_at_; }
  const Fence& last_fence() const { return last_fence_; }

 private:
  Status apply(std::uint64_t seq, const StreamRecord& record);
  Status apply_batch(const StreamBatch& batch);
  Status check_held(const StreamBatch& batch) const;

  NatsLink& link_;
  const ShardNames& names_;
  persistence::Journal& journal_;
  Engine& engine_;
  EventSink* events_;
  natsSubscription* subscription_ = nullptr;
  std::uint64_t stream_seq_ = 0;
  Fence last_fence_;
  mutable Seq diverged_at_ = 0;
};

}  // namespace auction::cluster
