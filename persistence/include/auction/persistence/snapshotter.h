// Background snapshots: a shadow engine follows the durable journal on its own thread and writes
// a snapshot every `every_commands` commands, so the core never stops for a snapshot and restart
// time does not grow with history.
//
// Contract: a snapshot is written only for a journal prefix that is durable (the shadow reads
// committed records only), with the state digest recovery checks. A journal error stops the
// snapshotter (its last_error() says why); it never stops the pipeline.
// Threading: start()/stop() from the owner; the rest runs on the snapshotter's thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "auction/engine/engine.h"
#include "auction/persistence/journal.h"
#include "auction/persistence/snapshot_store.h"

namespace auction::persistence {

struct SnapshotterOptions {
  std::uint64_t every_commands = 1'000'000;
  std::chrono::milliseconds poll_interval{200};
};

class Snapshotter {
 public:
  // `seed` is a snapshot of the engine as recovered (Engine::snapshot()), to start from.
  Snapshotter(const Journal& journal, SnapshotStore& store, const EngineLimits& limits,
              SnapshotterOptions options);
  ~Snapshotter();
  Snapshotter(const Snapshotter&) = delete;
  Snapshotter& operator=(const Snapshotter&) = delete;

  Status start(std::string_view seed);
  void stop();
  Seq last_snapshot_seq() const { return last_snapshot_seq_.load(); }
  std::string last_error() const;

 private:
  void run();
  Status catch_up();

  const Journal& journal_;
  SnapshotStore& store_;
  Engine shadow_;
  SnapshotterOptions options_;
  Seq applied_since_snapshot_ = 0;
  std::atomic<Seq> last_snapshot_seq_{0};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::string error_;
};

}  // namespace auction::persistence
