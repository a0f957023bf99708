// How auctiond connects its parts: the pipeline's durable outcomes go to the lot board (events),
// to the bidder server (answers to bidders), to the admin server (answers to auctioneers) and
// wake the settlement consumer; both servers submit commands to the pipeline and settlement
// inputs to the settler through it; settled orders are pushed to their buyers and sellers; it
// holds the accounts, the journal digests and the settlement store the servers read.
//
// In a replicated shard (cluster_node.h) it routes commands to this node's pipeline while it
// leads, to the leader through the forwarder while it follows, and answers forwarded commands
// from the replica (replica_answers.h). Settlement inputs then travel through the journal too
// (settlement_requests.h): every node's settler applies them at the same seq.
//
// Threading: on_durable()/on_refused() on the pipeline's threads; on_orders() on the settler's;
// submit() and the Accounts, AdminBackend and SettlementPort methods from the servers' IO
// threads; on_replicated() from the cluster node's loop, on_forward_reply() from libnats'.
// attach() once, before the pipeline starts; lead() and forward_to() from the cluster node.
#pragma once

#include <atomic>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "auction/cluster/account_replica.h"
#include "auction/cluster/forwarding.h"

#include "auction/gateway/admin_api.h"
#include "auction/gateway/admin_server.h"
#include "auction/gateway/lot_board.h"
#include "auction/gateway/server.h"
#include "auction/persistence/account_store.h"
#include "auction/persistence/clock.h"
#include "auction/persistence/journal.h"
#include "auction/persistence/pipeline.h"
#include "auction/persistence/settler.h"
#include "replica_answers.h"
#include "settlement_requests.h"

namespace auction {

class Wiring final : public persistence::OutcomeSink,
                     public gateway::CommandPort,
                     public gateway::Accounts,
                     public gateway::AdminBackend,
                     public gateway::SettlementPort,
                     public persistence::SettlementListener {
 public:
  Wiring(gateway::LotBoard& board, persistence::AccountStore& accounts,
         const persistence::Journal& journal, const persistence::SettlementStore& settlement,
         persistence::Clock& clock)
      : board_(board),
        accounts_(accounts),
        journal_(journal),
        settlement_(settlement),
        clock_(clock),
        replica_([this](std::uint64_t origin, Seq seq,
                        std::span<const Event> events) { answer_one(origin, seq, events); },
                 [this](std::uint64_t origin) { on_refused(origin); }) {}
  void attach(persistence::Pipeline* pipeline, persistence::Settler* settler,
              gateway::Server* server, gateway::AdminServer* admin);

  // Replication. lead(): commands go to `pipeline` and forwarded ones come in through
  // `commands`; lead(nullptr, nullptr): this node follows (commands go to the forwarder).
  void lead(persistence::Pipeline* pipeline, cluster::CommandServer* commands);
  void forward_to(cluster::CommandForwarder* forwarder) { forwarder_ = forwarder; }
  // The follower applied the commands up to `applied_seq`; `events` are theirs.
  void on_replicated(std::span<const Event> events, Seq applied_seq);
  void on_forward_reply(std::uint64_t origin, Seq seq);
  // Users added, re-keyed or revoked here are copied to the shard (and from it: apply_account).
  void replicate_accounts(cluster::AccountReplica* accounts) { account_replica_ = accounts; }
  void apply_account(const UserId& user, std::string_view record);

  // OutcomeSink.
  void on_durable(std::span<const persistence::CommandOutcome> outcomes) override;
  void on_refused(std::uint64_t origin) override;
  void on_durability(bool ok, const std::string& why) override;
  // Why commands are refused now (empty: they are not), for /healthz.
  std::string durability_problem() const;
  // CommandPort.
  bool submit(CommandBody body, std::uint64_t origin) override;
  void submit_all(std::span<std::pair<CommandBody, std::uint64_t>> batch,
                  std::vector<std::uint64_t>& refused) override;
  // Accounts.
  bool verify(const UserId& user, std::string_view token) const override;
  // AdminBackend.
  Status add_user(const UserId& user, std::string_view role, std::string& token_out) override;
  Status reissue_token(const UserId& user, gateway::UserInfo& info_out,
                       std::string& token_out) override;
  Status revoke_user(const UserId& user) override;
  std::vector<gateway::UserInfo> users() const override;
  std::optional<std::string> journal_digest_hex(Seq seq) const override;
  Seq durable_seq() const override;
  TimeMs now_ms() const override;
  std::optional<std::string> shard_status_json() const override {
    return shard_status_ ? std::optional<std::string>(shard_status_()) : std::nullopt;
  }
  void report_shard_status(std::function<std::string()> status) {
    shard_status_ = std::move(status);
  }
  // A shard's settlement inputs go through the replicated journal (ExternalInput commands), not
  // to this node's settler directly.
  void settle_through_journal() { settle_through_journal_ = true; }
  // The settler's own tick or configuration (SettlerOptions::propose): journaled while this
  // node leads, dropped while it follows (the leader's settler proposes the same).
  void propose_settlement_input(settlement::InputBody body);
  // SettlementPort.
  bool submit(settlement::InputBody body,
              std::function<void(const settlement::Answer&)> done) override;
  std::vector<std::pair<std::string, settlement::Account>> accounts_of(
      const UserId& user) const override;
  std::vector<std::pair<std::string, settlement::Account>> accounts(
      std::string_view prefix) const override;
  std::optional<settlement::Order> order(const LotId& lot) const override;
  std::vector<settlement::Order> orders(const UserId* user) const override;
  Status audit(settlement::LedgerAudit& out) const override;
  bool user_exists(const UserId& user) const override;
  // SettlementListener.
  void on_orders(std::span<const settlement::Order> orders) override;
  void on_journal_answers(std::span<const std::pair<Seq, settlement::Answer>> answers) override {
    settlement_requests_.answered(answers);
  }

 private:
  gateway::LotBoard& board_;
  persistence::AccountStore& accounts_;
  const persistence::Journal& journal_;
  const persistence::SettlementStore& settlement_;
  persistence::Clock& clock_;
  void answer_one(std::uint64_t origin, Seq seq, std::span<const Event> events);

  std::atomic<persistence::Pipeline*> pipeline_{nullptr};  // null: following (or not started)
  std::atomic<cluster::CommandServer*> command_server_{nullptr};
  cluster::CommandForwarder* forwarder_ = nullptr;
  cluster::AccountReplica* account_replica_ = nullptr;
  std::function<std::string()> shard_status_;
  bool settle_through_journal_ = false;
  SettlementRequests settlement_requests_;
  mutable std::mutex durability_mutex_;
  std::string durability_problem_;
  Status share_account(const UserId& user);
  ReplicaAnswers replica_;
  persistence::Settler* settler_ = nullptr;
  gateway::Server* server_ = nullptr;
  gateway::AdminServer* admin_ = nullptr;
  std::vector<gateway::Server::Answer> answers_;  // reused per journal batch (writer thread)
};

// The board's view of a lot the engine recovered.
gateway::LotView view_of(const LotState& lot);

// Keeps the last accepted bids per lot while recovery replays the journal's tail, to seed the
// board's "recent bids" (bounded: RecentBids::kCapacity per lot).
class RecentBidCollector final : public EventSink {
 public:
  void on_event(const Event& event) override;
  void load_into(gateway::LotBoard& board) const;

 private:
  std::unordered_map<std::string, std::vector<gateway::RecentBid>> bids_;  // oldest first
};

}  // namespace auction
