#include "auction/persistence/settler.h"

#include <pthread.h>

#include <algorithm>

#include "auction/engine/assert.h"
#include "auction/persistence/record_codec.h"
#include "auction/persistence/recovery.h"
#include "auction/settlement/codec.h"

namespace auction::persistence {

using namespace settlement;

namespace {

// The shadow engine's events, into settlement.
class ToSettlement final : public EventSink {
 public:
  ToSettlement(Settlement& state, Notices& notices) : state_(state), notices_(notices) {}
  void on_event(const Event& event) override {
    ++events;
    state_.on_engine_event(event, notices_);
  }
  std::uint64_t events = 0;

 private:
  Settlement& state_;
  Notices& notices_;
};

// Decodes the engine journal record `seq` and checks it may follow what `engine` applied.
Status next_command(const Engine& engine, Seq seq, std::string_view bytes, Command& command) {
  if (Status s = decode_record(bytes, command); !s.is_ok()) {
    return Status::error(s.code(),
                         "journal record seq " + std::to_string(seq) + ": " + s.message());
  }
  if (command.seq != seq || seq != engine.last_seq() + 1) {
    return Status::error(Status::Code::corruption,
                         "journal record seq " + std::to_string(seq) + ": out of sequence");
  }
  if (command.ts_ms < engine.now_ms()) {
    return Status::error(Status::Code::corruption,
                         "journal record seq " + std::to_string(seq) + ": time goes backwards");
  }
  return Status::ok();
}

Answer unavailable() {
  Answer answer;
  answer.error = SettleError::unavailable;
  answer.message = "settlement cannot make this durable now";
  return answer;
}

}  // namespace

std::string encode_external_input(const InputBody& body) {
  std::string payload;
  ByteWriter out(payload);
  encode_input_body(out, body);
  return payload;
}

bool decode_external_input(std::string_view payload, InputBody& body) {
  ByteReader in(payload);
  return decode_input_body(in, body) && in.done();
}

Settler::Settler(const Journal& journal, const SnapshotStore* snapshots, SettlementStore& store,
                 Clock& clock, const EngineLimits& limits, SettlerOptions options,
                 SettlementListener* listener)
    : journal_(journal),
      snapshots_(snapshots),
      store_(store),
      clock_(clock),
      shadow_(limits),
      options_(std::move(options)),
      listener_(listener) {}

Settler::~Settler() {
  stop();
}

Status Settler::init_shadow(Seq cursor) {
  if (cursor == 0) return Status::ok();
  std::optional<StoredSnapshot> snapshot;
  if (snapshots_ != nullptr && snapshots_->latest(snapshot).is_ok() && snapshot &&
      snapshot->seq <= cursor) {
    // A snapshot that does not restore leaves the engine empty: replay from the start instead.
    (void)shadow_.restore(snapshot->bytes);
  }
  std::uint64_t replayed = 0;
  return replay_journal(shadow_, journal_, cursor, nullptr, replayed);
}

Status Settler::start() {
  if (Status s = store_.load(state_, cursor_); !s.is_ok()) return s;
  committed_cursor_ = cursor_;
  if (cursor_ > journal_.last_seq()) {
    return Status::error(Status::Code::corruption,
                         "settlement has read the engine journal up to seq " +
                             std::to_string(cursor_) + " but the journal ends at " +
                             std::to_string(journal_.last_seq()));
  }
  if (Status s = init_shadow(cursor_); !s.is_ok()) return s;
  std::deque<Pending> initial;
  if (!options_.inputs_from_journal && options_.config && *options_.config != state_.config()) {
    initial.push_back(Pending{Configure{*options_.config}, nullptr});
  }
  do {
    if (!step(initial, true)) return Status::error(Status::Code::io_error, last_error());
  } while (cursor_ < journal_.last_seq());
  for (const auto& [user, lot] : state_.open_holds()) {
    const LotState* found = shadow_.find_lot(lot);
    if (found != nullptr && !found->bidding_over() && !shadow_.is_qualified(lot, user)) {
      requalify_.emplace_back(user, lot);
    }
  }
  last_commit_ = std::chrono::steady_clock::now();
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "settler");
    run();
  });
  return Status::ok();
}

void Settler::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

bool Settler::submit(InputBody body, SettleDone done) {
  if (options_.inputs_from_journal) return false;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || failed_.load() || queue_.size() >= options_.max_queued_inputs) return false;
    queue_.push_back(Pending{std::move(body), std::move(done)});
  }
  wake_.notify_one();
  return true;
}

void Settler::notify(Seq seq) {
  {
    std::lock_guard lock(mutex_);
    notified_ = std::max(notified_, seq);
  }
  wake_.notify_one();
}

SettlerStats Settler::stats() const {
  return SettlerStats{stat_cursor_.load(), stat_records_.load(), stat_events_.load(),
                      stat_inputs_.load(), stat_commits_.load(), failed_.load()};
}

std::string Settler::last_error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

Status Settler::rewind() {
  if (Status s = store_.load(state_, cursor_); !s.is_ok()) return s;
  committed_cursor_ = cursor_;
  shadow_ = Engine(shadow_.limits());
  return init_shadow(cursor_);
}

void Settler::fail(const std::string& why, std::deque<Pending>& inputs) {
  {
    std::lock_guard lock(mutex_);
    if (error_.empty()) error_ = why;
  }
  failed_.store(true);
  for (Pending& pending : inputs) {
    if (pending.done) pending.done(unavailable());
  }
  inputs.clear();
}

void Settler::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    DurationMs wait_ms = options_.poll_interval.count();
    if (const auto due = state_.next_timer_ms()) {
      wait_ms = std::clamp<DurationMs>(*due - clock_.now_ms(), 0, wait_ms);
      if (options_.inputs_from_journal) {  // a tick proposed a moment ago is on its way
        const auto until_proposal = std::chrono::duration_cast<std::chrono::milliseconds>(
            next_proposal_ - std::chrono::steady_clock::now());
        wait_ms = std::max<DurationMs>(wait_ms, until_proposal.count());
      }
    }
    wake_.wait_for(lock, std::chrono::milliseconds(wait_ms),
                   [&] { return stopping_ || !queue_.empty() || notified_ > cursor_; });
    std::deque<Pending> inputs;
    inputs.swap(queue_);
    const bool stopping = stopping_;
    lock.unlock();
    if (failed_.load()) {
      fail(last_error(), inputs);
    } else if (std::chrono::steady_clock::now() < full_until_) {
      for (Pending& pending : inputs) {  // the disk was full a moment ago: no room for these
        if (pending.done) pending.done(unavailable());
      }
    } else {
      step(inputs, stopping);
    }
    lock.lock();
    if (stopping && queue_.empty() && (failed_.load() || cursor_ >= journal_.last_seq())) break;
  }
}

bool Settler::step(std::deque<Pending>& inputs, bool force_commit) {
  Notices notices;
  ToSettlement sink(state_, notices);
  std::uint64_t records = 0;
  Status problem = Status::ok();
  std::vector<std::string> journaled;
  std::vector<std::pair<SettleDone, Answer>> answers;
  std::vector<std::pair<Seq, Answer>> journal_answers;
  const auto sequence = [&](InputBody body, TimeMs ts_ms) {
    const Input input{state_.last_input_seq() + 1, std::max(ts_ms, state_.now_ms()), cursor_,
                      std::move(body)};
    encode_input_record(input, journaled.emplace_back());
    return state_.apply(input, notices);
  };
  const Status scanned = journal_.scan(cursor_ + 1, [&](Seq seq, std::string_view bytes) {
    Command command;
    if (problem = next_command(shadow_, seq, bytes, command); !problem.is_ok()) return false;
    shadow_.apply(command, sink);
    cursor_ = seq;
    if (const auto* external = std::get_if<ExternalInput>(&command.body)) {
      InputBody body;
      if (!decode_external_input(external->payload, body)) {
        problem =
            Status::error(Status::Code::corruption,
                          "journal record seq " + std::to_string(seq) + ": not a settlement input");
        return false;
      }
      journal_answers.emplace_back(seq, sequence(std::move(body), command.ts_ms));
    }
    return ++records < options_.max_records_per_batch;
  });
  if (!scanned.is_ok() || !problem.is_ok()) {
    fail("settlement stopped reading the journal: " +
             (scanned.is_ok() ? problem.message() : scanned.message()),
         inputs);
    return false;
  }
  for (Pending& pending : inputs) {
    Answer answer = sequence(std::move(pending.body), clock_.now_ms());
    answers.emplace_back(std::move(pending.done), std::move(answer));
  }
  inputs.clear();
  if (options_.inputs_from_journal) {
    propose_due();
  } else if (const auto due = state_.next_timer_ms();
             answers.empty() && due && clock_.now_ms() >= *due) {
    answers.emplace_back(nullptr, sequence(SettleTick{}, clock_.now_ms()));
  }
  if (options_.check_every_batch) AUCTION_ASSERT(state_.check().empty());
  const Changes changes = state_.take_changes();
  const auto now = std::chrono::steady_clock::now();
  if (journaled.empty() && changes.empty()) {
    // Nothing but read progress: deferred, unless asked or overdue.
    if (cursor_ == committed_cursor_) return true;
    const bool overdue = cursor_ - committed_cursor_ >= options_.max_records_per_batch ||
                         now - last_commit_ >= options_.idle_commit_interval;
    if (!force_commit && !overdue) {
      stat_records_.fetch_add(records);
      stat_events_.fetch_add(sink.events);
      return true;
    }
  }
  if (Status s = store_.commit(journaled, state_, changes, cursor_); !s.is_ok()) {
    // The state in memory is ahead of the store now: nothing of this batch is answered ok.
    for (auto& [done, answer] : answers) {
      if (done) done(unavailable());
    }
    // A full disk: back to the store's state, and try again once there may be room.
    if (s.code() == Status::Code::full && rewind().is_ok()) {
      full_until_ = now + std::chrono::seconds(1);
      return false;
    }
    std::deque<Pending> none;
    fail("settlement stopped: " + s.message(), none);
    return false;
  }
  committed_cursor_ = cursor_;
  last_commit_ = now;
  stat_cursor_.store(cursor_);
  stat_records_.fetch_add(records);
  stat_events_.fetch_add(sink.events);
  stat_inputs_.fetch_add(journaled.size());
  stat_commits_.fetch_add(1);
  for (auto& [done, answer] : answers) {
    if (done) done(answer);
  }
  if (listener_ != nullptr && !journal_answers.empty()) {
    listener_->on_journal_answers(journal_answers);
  }
  if (listener_ != nullptr && !notices.orders.empty()) listener_->on_orders(notices.orders);
  return true;
}

void Settler::propose_due() {
  const auto now = std::chrono::steady_clock::now();
  if (!options_.propose || now < next_proposal_) return;
  bool proposed = false;
  if (options_.config && *options_.config != state_.config()) {
    options_.propose(Configure{*options_.config});
    proposed = true;
  }
  if (const auto due = state_.next_timer_ms(); due && clock_.now_ms() >= *due) {
    options_.propose(SettleTick{});
    proposed = true;
  }
  if (proposed) next_proposal_ = now + options_.propose_interval;
}

Status replay_settlement(const Journal& journal, const SettlementStore& store,
                         const EngineLimits& engine_limits, Settlement& out) {
  const Seq cursor = store.engine_cursor();
  std::vector<Input> inputs;
  if (Status s = store.scan_inputs(1,
                                   [&](const Input& input) {
                                     inputs.push_back(input);
                                     return true;
                                   });
      !s.is_ok()) {
    return s;
  }
  Engine shadow(engine_limits);
  Notices notices;
  ToSettlement sink(out, notices);
  std::size_t next = 0;
  const auto apply_inputs_through = [&](Seq engine_seq) {
    while (next < inputs.size() && inputs[next].engine_seq <= engine_seq) {
      out.apply(inputs[next++], notices);
    }
    notices.orders.clear();
  };
  apply_inputs_through(0);
  Status problem = Status::ok();
  const Status scanned = journal.scan(1, [&](Seq seq, std::string_view bytes) {
    if (seq > cursor) return false;
    Command command;
    if (problem = next_command(shadow, seq, bytes, command); !problem.is_ok()) return false;
    shadow.apply(command, sink);
    apply_inputs_through(seq);
    return true;
  });
  if (!scanned.is_ok()) return scanned;
  if (!problem.is_ok()) return problem;
  if (shadow.last_seq() != cursor) {
    return Status::error(Status::Code::corruption,
                         "the engine journal ends at seq " + std::to_string(shadow.last_seq()) +
                             ", settlement read it up to " + std::to_string(cursor));
  }
  if (next != inputs.size()) {
    return Status::error(Status::Code::corruption,
                         "settlement input " + std::to_string(inputs[next].seq) +
                             " was applied after engine seq " +
                             std::to_string(inputs[next].engine_seq) + ", past the cursor");
  }
  return Status::ok();
}

}  // namespace auction::persistence
