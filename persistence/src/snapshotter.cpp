#include "auction/persistence/snapshotter.h"

#include <pthread.h>

#include <limits>

#include "auction/persistence/recovery.h"

namespace auction::persistence {

Snapshotter::Snapshotter(const Journal& journal, SnapshotStore& store, const EngineLimits& limits,
                         SnapshotterOptions options)
    : journal_(journal), store_(store), shadow_(limits), options_(options) {}

Snapshotter::~Snapshotter() {
  stop();
}

Status Snapshotter::start(std::string_view seed) {
  if (Status s = shadow_.restore(seed); !s.is_ok()) return s;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "snapshotter");
    run();
  });
  return Status::ok();
}

void Snapshotter::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

std::string Snapshotter::last_error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

Status Snapshotter::catch_up() {
  std::uint64_t replayed = 0;
  Status status =
      replay_journal(shadow_, journal_, std::numeric_limits<Seq>::max(), nullptr, replayed);
  applied_since_snapshot_ += replayed;
  if (!status.is_ok()) return status;
  if (applied_since_snapshot_ >= options_.every_commands) {
    const std::string bytes = shadow_.snapshot();
    if (Status s = store_.put(shadow_.last_seq(), shadow_.state_digest(), bytes); !s.is_ok()) {
      return s;
    }
    last_snapshot_seq_.store(shadow_.last_seq());
    applied_since_snapshot_ = 0;
  }
  return Status::ok();
}

void Snapshotter::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    const Status status = catch_up();
    lock.lock();
    if (!status.is_ok()) {
      error_ = status.message();
      return;
    }
    wake_.wait_for(lock, options_.poll_interval, [&] { return stopping_; });
  }
}

}  // namespace auction::persistence
