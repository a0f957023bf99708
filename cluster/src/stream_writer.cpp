#include "auction/cluster/stream_writer.h"

#include <pthread.h>

#include <thread>
#include <utility>

#include "auction/engine/assert.h"

namespace auction::cluster {
namespace {

// Another writer appended to the stream (SPEC §11: a deposed leader is refused).
constexpr jsErrCode kWrongLastSequence = JSStreamWrongLastSequenceErr;

}  // namespace

StreamWriter::StreamWriter(NatsLink& link, const ShardNames& names, std::string node)
    : link_(link), names_(names), node_(std::move(node)) {}

Status StreamWriter::fence(std::uint64_t term, std::uint64_t& tail_out) {
  std::uint64_t last = 0;
  if (Status s = link_.last_sequence(names_, last); !s.is_ok()) return s;
  last_sequence_.store(last);
  deposed_.store(false);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(link_.request_timeout_ms());
  if (Status s = publish(encode_fence(Fence{term, node_}), node_ + ".fence." + std::to_string(term),
                         deadline);
      !s.is_ok()) {
    return s;
  }
  tail_out = last_sequence_;
  return Status::ok();
}

Status StreamWriter::publish(const std::string& payload, const std::string& message_id,
                             std::chrono::steady_clock::time_point deadline) {
  if (deposed_) return Status::error(Status::Code::unavailable, "another node leads the shard");
  AUCTION_ASSERT(last_sequence_ > 0);  // fence() first: an expected sequence of 0 checks nothing
  jsPubOptions options;
  jsPubOptions_Init(&options);
  options.ExpectLastSeq = last_sequence_.load();  // never 0: the genesis record is sequence 1
  options.MsgId = message_id.c_str();
  while (true) {
    jsPubAck* ack = nullptr;
    jsErrCode code{};
    const natsStatus status =
        js_Publish(&ack, link_.jetstream(), names_.subject.c_str(), payload.data(),
                   static_cast<int>(payload.size()), &options, &code);
    if (status == NATS_OK) {
      last_sequence_.store(ack->Sequence);
      jsPubAck_Destroy(ack);
      return Status::ok();
    }
    if (code == kWrongLastSequence) {
      deposed_.store(true);
      return Status::error(
          Status::Code::unavailable,
          "the stream moved on without this node (another node leads): " + nats_error_text(status));
    }
    // Anything but a refusal may be passing (a server restarting, a reconnect, a stream
    // electing its leader): retry the same id until the deadline.
    const bool retry = status != NATS_CONNECTION_CLOSED && status != NATS_INVALID_ARG;
    if (!retry || std::chrono::steady_clock::now() >= deadline) {
      return Status::error(Status::Code::unavailable,
                           "the stream did not acknowledge: " + nats_error_text(status));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

ReplicatedJournal::ReplicatedJournal(persistence::JournalBackend& local, StreamWriter& stream,
                                     std::uint64_t term, std::function<bool()> still_leading,
                                     DurationMs retry_ms)
    : local_(local),
      stream_(stream),
      term_(term),
      still_leading_(std::move(still_leading)),
      retry_ms_(retry_ms),
      syncer_([this] {
        pthread_setname_np(pthread_self(), "local-fsync");
        local_syncs();
      }) {}

ReplicatedJournal::~ReplicatedJournal() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  syncer_.join();
}

void ReplicatedJournal::local_syncs() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return sync_requested_ || stopping_; });
    if (stopping_) return;
    sync_requested_ = false;
    lock.unlock();
    Status status = local_.sync();
    lock.lock();
    local_result_ = std::move(status);
    wake_.notify_all();
  }
}

void ReplicatedJournal::start_local_sync() {
  {
    std::lock_guard lock(mutex_);
    local_result_.reset();
    sync_requested_ = true;
  }
  wake_.notify_all();
}

Status ReplicatedJournal::finish_local_sync() {
  std::unique_lock lock(mutex_);
  wake_.wait(lock, [&] { return local_result_.has_value(); });
  return *local_result_;
}

Status ReplicatedJournal::write(const persistence::JournalBatch& batch) {
  if (Status s = local_.write(batch); !s.is_ok()) return s;
  if (staged_.empty()) begin_batches(staged_);
  append_batch(staged_, batch);
  staged_last_seq_ = batch.last_seq;
  return Status::ok();
}

Status ReplicatedJournal::sync() {
  if (staged_.empty()) return local_.sync();
  finish_batches(staged_);
  // The id names the leadership and the last journal seq: a retry is stored once, and another
  // leader's batch at the same seq is a different message (refused by its expected sequence).
  const std::string id = std::to_string(term_) + "." + std::to_string(staged_last_seq_);
  start_local_sync();
  Status published = Status::error(Status::Code::unavailable, "the lease is lost");
  if (still_leading_()) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(retry_ms_);
    published = stream_.publish(staged_, id, deadline);
  }
  const Status local = finish_local_sync();
  staged_.clear();
  // A local failure wins: a record the stream holds but this disk may not is no base to lead on.
  return local.is_ok() ? published : local;
}

}  // namespace auction::cluster
