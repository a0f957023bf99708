// auctiond as one node of a replicated shard (SPEC §11, docs/REPLICATION.md): follow the
// stream until the lease is free, then lead; step down the moment the lease or the stream says
// another node leads.
//
//   FOLLOW ── lease free: take it ──▶ fence, catch up to the fence ──▶ LEAD (pipeline on the
//     ▲                                                                 replicated journal,
//     └──────── restart (re-exec) ◀── lease lost / publish refused ◀──── Restart journaled)
//
// Contract:
//   - Never a lone leader by accident: the node neither follows nor leads until NATS answered
//     and the shard's stream and lease bucket exist (it retries with a message until stopped).
//     A misconfiguration (another shard's stream, another lease lifetime) stops auctiond with
//     the reason (fatal()), changing nothing.
//   - Leading starts only after every record up to this node's fence is in the local journal and
//     engine; the first command is Restart (the §3 outage rule: no lot closes in the gap).
//   - A leader that loses the lease stops answering at once (ReplicatedJournal refuses once the
//     lease is not valid), stops its pipeline and asks auctiond to restart as a follower.
//   - A follower whose journal disagrees with the stream (a former leader's tail the stream never
//     took) records where, and asks auctiond to restart: set_aside_diverged() then moves the
//     tail's records to a file and the derived state aside before the journal is opened.
// Threading: start()/stop() and the getters from auctiond's main thread (view() from any); the
// node's loop runs on its own thread.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "auction/cluster/account_replica.h"
#include "auction/cluster/follower.h"
#include "auction/cluster/forwarding.h"
#include "auction/cluster/lease.h"
#include "auction/cluster/node_directory.h"
#include "auction/cluster/stream_writer.h"
#include "auction/persistence/pipeline.h"
#include "wiring.h"

namespace auction {

struct ClusterConfig {
  std::vector<std::string> nats_urls;
  std::string shard;
  std::string node;
  DurationMs lease_ms = 2'000;
  // The leader's group commit (PipelineOptions::commit_delay_us): each batch is a publish that
  // costs the shard over a millisecond of CPU. 3 ms against 1 ms: +13 % closed loop (median of
  // 12 paired rounds), half the CPU in open loop, +1.3 ms p50 (bench/RESULTS.md).
  std::int64_t commit_delay_us = 3'000;
  bool enabled() const { return !nats_urls.empty(); }
};

// What this node knows of its shard, for /metrics and the admin status.
struct ShardView {
  std::string role;  // "leader", "follower", "starting"
  std::string leader;
  std::uint64_t stream_seq = 0;  // the last stream record applied (follower) or published
};

// Checks a cluster configuration: the error names the flag.
Status check_cluster_config(const ClusterConfig& config);

// Before the journal is opened: when the previous run found this node's journal diverged from
// the stream, writes the records from the divergence on to DATA_DIR/set-aside-<ms>/tail.bin and
// moves journal/, snapshots/ and settlement/ into that folder (nothing is deleted); the node then
// rebuilds from the stream. `message` says what was done (empty when nothing was).
Status set_aside_diverged(const std::string& data_dir, std::string& message);

class ClusterNode {
 public:
  ClusterNode(ClusterConfig config, std::string data_dir, Engine& engine,
              persistence::Journal& journal, persistence::Clock& clock, Wiring& wiring,
              persistence::PipelineOptions pipeline_options);
  ~ClusterNode();

  // Where this node serves (for the shard's directory), set before start().
  void set_addresses(std::string bidder_url, std::string admin_url);
  void start();
  void stop();
  // The shard's live nodes as JSON: for the admin status, and the bidder page's /nodes.
  std::string shard_status_json() const;
  std::string nodes_json() const;
  // Deposed or diverged: auctiond should stop and start again (as a follower).
  bool must_restart() const { return must_restart_.load(); }
  // Connected, with the shard's stream and buckets: following or leading.
  bool ready() const { return ready_.load(); }
  // Why the node could not start (read after stop()); empty when it could.
  const std::string& fatal() const { return fatal_; }
  ShardView view() const;

 private:
  void run();
  Status open();
  Status open_once(const cluster::NatsOptions& options);
  bool follow();  // until this node took the lease (true) or must stop
  void lead();
  void step_down(const std::string& why);
  void publish_status_if_due();

  ClusterConfig config_;
  std::string data_dir_;
  cluster::ShardNames names_;
  Engine& engine_;
  persistence::Journal& journal_;
  persistence::Clock& clock_;
  Wiring& wiring_;
  persistence::PipelineOptions pipeline_options_;
  cluster::NatsLink link_;
  std::unique_ptr<cluster::Lease> lease_;
  std::unique_ptr<cluster::AccountReplica> accounts_;
  std::unique_ptr<cluster::NodeDirectory> directory_;
  std::string bidder_url_, admin_url_;
  std::chrono::steady_clock::time_point next_status_{};
  std::unique_ptr<cluster::CommandForwarder> forwarder_;
  std::unique_ptr<cluster::CommandServer> command_server_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> must_restart_{false};
  std::atomic<bool> leading_{false};
  std::atomic<bool> ready_{false};
  std::atomic<std::uint64_t> stream_seq_{0};
  std::string fatal_;
  mutable std::mutex view_mutex_;
  std::string leader_;
};

}  // namespace auction
