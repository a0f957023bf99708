// The leader's side of the replicated journal (SPEC §11): journal batches published to the
// shard's stream, each after the stream sequence it expects to follow and with a message id.
//
//   pipeline writer ──write()──▶ ReplicatedJournal ──▶ local journal (write, fsync)
//                                    │ sync()
//                                    └──▶ StreamWriter::publish ──▶ JetStream (quorum of 3)
//
// Contract:
//   - fence() starts a leadership: it publishes a fence record at the stream's tail, after which
//     no publish of a former leader can land (it expects an older sequence). The records up to
//     the fence are what the new leader must have applied before it sequences anything.
//   - publish() returns ok only once the stream acknowledged the message (stored by a quorum).
//     A timeout is retried with the same message id (stored at most once) until `deadline`;
//     a refusal for a wrong last sequence means another node leads: `unavailable`, deposed()
//     true, and every later publish refused.
//   - ReplicatedJournal::sync() returns ok only after the local fsync AND the stream's
//     acknowledgement: the pipeline answers nothing before both (SPEC §11). The two run side by
//     side (the fsync on the ReplicatedJournal's own thread), so a batch waits for the longer of
//     them, not their sum. If the stream took a batch whose local fsync failed, sync() fails
//     all the same: the node stops leading and rebuilds from the stream.
// Threading: one thread (the pipeline's writer) uses a StreamWriter / ReplicatedJournal;
// deposed() and last_sequence() may be read from any thread. The local journal's sync() runs on
// the ReplicatedJournal's thread while the writer waits in sync(): never beside its write().
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "auction/cluster/nats_link.h"
#include "auction/cluster/stream_record.h"
#include "auction/persistence/journal_backend.h"

namespace auction::cluster {

class StreamWriter {
 public:
  StreamWriter(NatsLink& link, const ShardNames& names, std::string node);

  // Publishes a fence for this node's leadership `term` (the lease's revision) at the stream's
  // tail; `tail_out` is the fence's sequence.
  Status fence(std::uint64_t term, std::uint64_t& tail_out);
  Status publish(const std::string& payload, const std::string& message_id,
                 std::chrono::steady_clock::time_point deadline);
  // Any thread (the node's loop watches them).
  bool deposed() const { return deposed_.load(); }
  std::uint64_t last_sequence() const { return last_sequence_.load(); }

 private:
  NatsLink& link_;
  const ShardNames& names_;
  std::string node_;
  std::atomic<std::uint64_t> last_sequence_{0};  // the stream's, as last stored or read here
  std::atomic<bool> deposed_{false};
};

// A JournalBackend that writes locally and replicates each batch before sync() reports it durable.
class ReplicatedJournal final : public persistence::JournalBackend {
 public:
  // `still_leading` is asked before every publish (the lease is held): once false, sync()
  // refuses. A publish without an answer is retried for at most `retry_ms` (a nats-server that
  // died leaves its stream without a leader for a few seconds).
  ReplicatedJournal(persistence::JournalBackend& local, StreamWriter& stream, std::uint64_t term,
                    std::function<bool()> still_leading, DurationMs retry_ms);
  ~ReplicatedJournal() override;
  ReplicatedJournal(const ReplicatedJournal&) = delete;
  ReplicatedJournal& operator=(const ReplicatedJournal&) = delete;

  Status write(const persistence::JournalBatch& batch) override;
  Status sync() override;
  std::size_t free_bytes() const override { return local_.free_bytes(); }
  Status grow(std::size_t capacity_bytes) override { return local_.grow(capacity_bytes); }

 private:
  // The local fsync's own thread (local_syncs): started before the publish, awaited after it.
  void local_syncs();
  void start_local_sync();
  Status finish_local_sync();

  persistence::JournalBackend& local_;
  StreamWriter& stream_;
  std::uint64_t term_;
  std::function<bool()> still_leading_;
  DurationMs retry_ms_;
  std::string staged_;  // the batches written since the last sync, as one stream record
  Seq staged_last_seq_ = 0;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool sync_requested_ = false;
  bool stopping_ = false;
  std::optional<Status> local_result_;
  std::thread syncer_;  // last: it starts once the rest is built
};

}  // namespace auction::cluster
