#include "auction/cluster/follower.h"

#include <chrono>

#include "auction/persistence/chain_digest.h"
#include "auction/persistence/record_codec.h"
#include "auction/persistence/recovery.h"

namespace auction::cluster {
namespace {

Status behind(const std::string& what) {
  return Status::error(Status::Code::corruption, what);
}

std::string seq_text(Seq seq) {
  return std::to_string(seq);
}

}  // namespace

Follower::Follower(NatsLink& link, const ShardNames& names, persistence::Journal& journal,
                   Engine& engine, EventSink* events)
    : link_(link), names_(names), journal_(journal), engine_(engine), events_(events) {}

Follower::~Follower() {
  natsSubscription_Destroy(subscription_);  // an ordered consumer is ephemeral: the server drops it
}

Status Follower::start(std::uint64_t after_seq) {
  natsSubscription_Destroy(subscription_);
  subscription_ = nullptr;
  jsSubOptions options;
  jsSubOptions_Init(&options);
  options.Stream = names_.stream.c_str();
  options.Ordered = true;  // in order, recreated by libnats from the last sequence on any gap
  options.Config.DeliverPolicy = js_DeliverByStartSequence;
  options.Config.OptStartSeq = after_seq + 1;
  jsErrCode code{};
  const natsStatus status = js_SubscribeSync(&subscription_, link_.jetstream(),
                                             names_.subject.c_str(), nullptr, &options, &code);
  if (status != NATS_OK) {
    subscription_ = nullptr;
    return Status::error(Status::Code::unavailable,
                         "following " + names_.stream + ": " + nats_error_text(status));
  }
  stream_seq_ = after_seq;
  return Status::ok();
}

Status Follower::poll(DurationMs timeout_ms) {
  DurationMs wait_ms = timeout_ms;
  while (true) {
    natsMsg* message = nullptr;
    const natsStatus status = natsSubscription_NextMsg(&message, subscription_, wait_ms);
    if (status == NATS_TIMEOUT) return Status::ok();
    if (status != NATS_OK) {
      return Status::error(Status::Code::unavailable,
                           "reading " + names_.stream + ": " + nats_error_text(status));
    }
    jsMsgMetaData* meta = nullptr;
    std::uint64_t seq = 0, pending = 0;
    if (natsMsg_GetMetaData(&meta, message) == NATS_OK) {
      seq = meta->Sequence.Stream;
      pending = meta->NumPending;
      jsMsgMetaData_Destroy(meta);
    }
    Status applied = Status::ok();
    if (seq == 1) {
      stream_seq_ = 1;  // the genesis record: checked by NatsLink::ensure_stream
    } else if (seq != stream_seq_ + 1) {
      applied = behind("stream sequence " + seq_text(seq) + " after " + seq_text(stream_seq_));
    } else {
      StreamRecord record;
      applied = decode_stream_record(
          std::string_view(natsMsg_GetData(message),
                           static_cast<std::size_t>(natsMsg_GetDataLength(message))),
          record);
      if (applied.is_ok()) applied = apply(seq, record);
    }
    natsMsg_Destroy(message);
    if (!applied.is_ok()) return applied;
    if (pending == 0) return Status::ok();
    wait_ms = 0;  // more is there: take it without waiting
  }
}

Status Follower::catch_up_to(std::uint64_t seq, DurationMs timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (stream_seq_ < seq) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return Status::error(Status::Code::unavailable, "caught up to stream sequence " +
                                                          seq_text(stream_seq_) + " of " +
                                                          seq_text(seq) + " in time");
    }
    if (Status s = poll(left.count()); !s.is_ok()) return s;
  }
  return Status::ok();
}

Status Follower::apply(std::uint64_t seq, const StreamRecord& record) {
  if (const auto* fence = std::get_if<Fence>(&record)) {
    last_fence_ = *fence;
  } else {
    for (const StreamBatch& batch : std::get<std::vector<StreamBatch>>(record)) {
      if (Status s = apply_batch(batch); !s.is_ok()) {
        return Status::error(s.code(), "stream sequence " + seq_text(seq) + ": " + s.message());
      }
    }
  }
  stream_seq_ = seq;
  return Status::ok();
}

Status Follower::apply_batch(const StreamBatch& batch) {
  if (batch.records.empty()) return behind("an empty batch");
  const persistence::ChainPoint local = journal_.chain();
  const Seq first = persistence::record_seq(batch.records.front());
  if (first <= local.seq) return check_held(batch);
  if (first != local.seq + 1) {
    return behind("a gap: the stream's batch starts at seq " + seq_text(first) +
                  ", the local journal ends at " + seq_text(local.seq));
  }
  persistence::ChainDigest chain(local.digest);
  std::vector<std::string_view> views;
  views.reserve(batch.records.size());
  for (const std::string& record : batch.records) {
    chain.add(record);
    views.push_back(record);
  }
  if (chain.value() != batch.chain_after) {
    return behind("records whose chain digest differs from the leader's, up to seq " +
                  seq_text(batch.last_seq));
  }
  const persistence::JournalBatch journal_batch{views, batch.last_seq, batch.chain_after,
                                                batch.marks};
  if (Status s = journal_.write(journal_batch); !s.is_ok()) return s;
  if (Status s = journal_.sync(); !s.is_ok()) return s;
  std::uint64_t replayed = 0;
  return persistence::replay_journal(engine_, journal_, batch.last_seq, events_, replayed);
}

// A batch the local journal already holds (a restart re-reads from an earlier position, or a
// former leader's own records): byte for byte the same, or a conflict named by its seq.
Status Follower::check_held(const StreamBatch& batch) const {
  const Seq first = persistence::record_seq(batch.records.front());
  std::size_t i = 0;
  Seq differs = 0;
  const Status scanned = journal_.scan(first, [&](Seq seq, std::string_view record) {
    if (i >= batch.records.size()) return false;
    if (record != batch.records[i]) differs = seq;
    ++i;
    return differs == 0;
  });
  if (!scanned.is_ok()) return scanned;
  if (differs != 0) {
    diverged_at_ = differs;
    return behind("the local journal disagrees with the stream at seq " + seq_text(differs));
  }
  if (i != batch.records.size()) {
    diverged_at_ = first + i;
    return behind("the local journal ends inside the stream's batch, at seq " +
                  seq_text(first + i - 1));
  }
  return Status::ok();
}

}  // namespace auction::cluster
