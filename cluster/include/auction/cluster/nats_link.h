// A node's connection to its shard's NATS JetStream cluster (SPEC §11), and the names the shard
// uses there.
//
// Contract:
//   - connect() tries every URL in turn until one answers or `connect_timeout_ms` has passed;
//     then the client reconnects by itself to any server of the list, for ever. NATS unreachable
//     at start is an `unavailable` Status naming the URLs, never a silent lone start.
//   - ensure_stream() makes the shard's journal stream (3 replicas, file storage, duplicate
//     window) if missing, waits until it has a stream leader, and checks that it is this shard's:
//     its first message is the shard's genesis record; a stream that holds another shard's is
//     refused (`invalid_argument`).
//   - Names carry the shard id (SPEC §11): stream AUCTION_<shard>, subject auction.<shard>.journal,
//     key-value buckets auction_<shard>_lease, auction_<shard>_users and auction_<shard>_nodes.
// Threading: the connection and the JetStream context are thread-safe (libnats locks inside);
// connect() and ensure_stream() from the owner before other threads use the link.
#pragma once

#include <nats/nats.h>

#include <cstdint>
#include <string>
#include <vector>

#include "auction/engine/status.h"
#include "auction/engine/types.h"

namespace auction::cluster {

// A shard id: 1–32 characters of [A-Za-z0-9_-] (SPEC §1's ids), usable in every NATS name.
bool is_shard_id(std::string_view text);

struct ShardNames {
  explicit ShardNames(std::string shard);
  std::string shard;
  std::string stream;   // AUCTION_<shard>
  std::string subject;  // auction.<shard>.journal
  std::string bucket;   // auction_<shard>_lease
  std::string users;    // auction_<shard>_users
  std::string nodes;    // auction_<shard>_nodes
  std::string genesis;  // the stream's first message: "auction shard v1 <shard>"
};

struct NatsOptions {
  std::vector<std::string> urls;  // nats://127.0.0.1:4222, ... (any server of the cluster)
  std::string client_name;        // shown in the servers' logs: "auctiond <shard>/<node>"
  DurationMs connect_timeout_ms = 10'000;
  DurationMs request_timeout_ms = 2'000;  // a JetStream API call or a publish acknowledgement
};

class NatsLink {
 public:
  NatsLink() = default;
  ~NatsLink();
  NatsLink(const NatsLink&) = delete;
  NatsLink& operator=(const NatsLink&) = delete;

  Status connect(const NatsOptions& options);
  Status ensure_stream(const ShardNames& names, DurationMs timeout_ms);
  // Makes the key-value bucket `bucket` (3 replicas, one value a key, entries kept `ttl_ms`; 0 =
  // for ever) or binds it when it exists, and waits until it takes writes. A bucket that exists
  // with another lifetime is refused (`invalid_argument`, both lifetimes named): every node of a
  // shard must run with the same settings. `out` is the caller's to kvStore_Destroy.
  Status open_bucket(const std::string& bucket, DurationMs ttl_ms, jsStorageType storage,
                     kvStore*& out);
  // Waits until the stream `stream` (a key-value bucket's is KV_<bucket>) has a leader: a stream
  // just made, or whose leader died, takes writes only then.
  Status wait_for_leader(const std::string& stream, DurationMs timeout_ms);
  // The stream's last sequence number (its genesis record is 1).
  Status last_sequence(const ShardNames& names, std::uint64_t& out);
  bool connected() const;

  natsConnection* connection() const { return connection_; }
  jsCtx* jetstream() const { return js_; }
  DurationMs request_timeout_ms() const { return options_.request_timeout_ms; }

 private:
  NatsOptions options_;
  natsConnection* connection_ = nullptr;
  jsCtx* js_ = nullptr;
};

// libnats' last error text for `status` (thread-local), for messages people read.
std::string nats_error_text(natsStatus status);

}  // namespace auction::cluster
