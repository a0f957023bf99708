// Commands from any node to the shard's leader (SPEC §11): NATS request/reply on the subject
// auction.<shard>.commands, the request an encoded command, the reply its sequence number.
//
//   follower gateway ─submit─▶ CommandForwarder ──request──▶ CommandServer ─▶ leader's pipeline
//        ▲                                                        │ durable: "ok <seq>"
//        └── the follower answers once ITS journal holds <seq> ◀──┘ refused: "no"
//
// Contract:
//   - A follower answers a forwarded command from its own replica of the journal: only after
//     the leader's reply named the command's seq AND the follower applied that seq, so an
//     answer never runs ahead of the node that gives it.
//   - Every forwarded command gets exactly one reply callback: on_reply (with the seq), or
//     on_refused when the leader refused it or no reply came in `timeout_ms` (a leader that
//     died mid-request: the command may still be in the stream; see docs/REPLICATION.md).
//     While nobody takes commands (NATS answers "no responders": no leader yet, or its
//     subscription not yet known across the cluster) the request is sent again every
//     kResendMs: nobody received it, so it cannot be applied twice. At most `max_pending` in
//     flight, then forward() refuses at once.
//   - CommandServer takes requests only while attached to a pipeline (the leader); a request
//     that does not decode is answered "no". A request from this very node (sent while it still
//     followed) is taken under its own origin, not answered through NATS.
// Threading: forward() from any thread; replies arrive on libnats' subscription thread;
// expire() from the node's loop. CommandServer's answer()/refuse() from the pipeline's threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

#include "auction/cluster/nats_link.h"
#include "auction/engine/command.h"

namespace auction::cluster {

// Origins of forwarded commands on the leader (the gateway's use the low bits, the admin
// server's bit 63).
inline constexpr std::uint64_t kForwardedOriginBit = std::uint64_t{1} << 62;
inline bool is_forwarded_origin(std::uint64_t origin) {
  return (origin & kForwardedOriginBit) != 0;
}

struct ForwardReplies {
  std::function<void(std::uint64_t origin, Seq seq)> on_reply;
  std::function<void(std::uint64_t origin)> on_refused;
};

class CommandForwarder {
 public:
  CommandForwarder(NatsLink& link, const ShardNames& names, ForwardReplies replies,
                   DurationMs timeout_ms = 5'000, std::size_t max_pending = 100'000);
  ~CommandForwarder();
  CommandForwarder(const CommandForwarder&) = delete;
  CommandForwarder& operator=(const CommandForwarder&) = delete;

  Status start();  // subscribes to this process's reply inbox
  bool forward(const CommandBody& body, std::uint64_t origin);
  // Sends again what nobody took, and refuses the requests whose reply is overdue.
  void expire();
  // Takes `origin` out of the pending requests (false: it was not pending: answered or
  // expired). The leader uses it for what this very node forwarded before it led.
  bool release(std::uint64_t origin);
  const std::string& inbox() const { return inbox_; }
  static constexpr DurationMs kResendMs = 50;

 private:
  struct Pending {
    std::chrono::steady_clock::time_point deadline;
    std::chrono::steady_clock::time_point resend_at;  // max(): sent, awaiting its reply
    std::string request;
  };
  static void on_message(natsConnection*, natsSubscription*, natsMsg* message, void* self);
  void on_reply_message(natsMsg* message);
  bool send(std::uint64_t origin, const std::string& request);

  NatsLink& link_;
  const ShardNames& names_;
  ForwardReplies replies_;
  DurationMs timeout_ms_;
  std::size_t max_pending_;
  std::string inbox_;  // unique per process: a restarted node never takes an old reply
  std::string command_subject_;
  natsSubscription* subscription_ = nullptr;
  std::mutex mutex_;
  std::unordered_map<std::uint64_t, Pending> pending_;
};

class CommandServer {
 public:
  // `submit` hands a command to the leader's pipeline with an origin (false: refused at once).
  using Submit = std::function<bool(CommandBody, std::uint64_t)>;
  CommandServer(NatsLink& link, const ShardNames& names, std::size_t max_pending = 100'000);
  ~CommandServer();
  CommandServer(const CommandServer&) = delete;
  CommandServer& operator=(const CommandServer&) = delete;

  // The leader begins taking forwarded commands. Those that `local` (this node's own
  // forwarder) sent before this node led are submitted under their own origin, as if they had
  // never left (`refuse_local` answers them when the pipeline refuses).
  Status start(Submit submit, CommandForwarder* local,
               std::function<void(std::uint64_t)> refuse_local);
  void stop();
  void answer(std::uint64_t origin, Seq seq);
  void refuse(std::uint64_t origin);

 private:
  static void on_message(natsConnection*, natsSubscription*, natsMsg* message, void* self);
  void on_request(natsMsg* message);
  std::string take_reply_subject(std::uint64_t origin);

  NatsLink& link_;
  const ShardNames& names_;
  std::size_t max_pending_;
  std::string command_subject_;
  Submit submit_;
  CommandForwarder* local_ = nullptr;
  std::function<void(std::uint64_t)> refuse_local_;
  natsSubscription* subscription_ = nullptr;
  std::mutex mutex_;
  std::uint64_t next_origin_ = 1;
  std::unordered_map<std::uint64_t, std::string> reply_to_;
};

}  // namespace auction::cluster
