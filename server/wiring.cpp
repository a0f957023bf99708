#include "wiring.h"

#include <cstdio>

namespace auction {

using namespace persistence;

void Wiring::attach(Pipeline* pipeline, Settler* settler, gateway::Server* server,
                    gateway::AdminServer* admin) {
  pipeline_ = pipeline;
  settler_ = settler;
  server_ = server;
  admin_ = admin;
}

void Wiring::on_durable(std::span<const CommandOutcome> outcomes) {
  answers_.clear();
  // The board first: an admin answer reads the lot's state after its command.
  for (const CommandOutcome& outcome : outcomes)
    board_.publish(outcome.events, outcome.ts_ms);
  cluster::CommandServer* forwarded = command_server_.load();
  for (const CommandOutcome& outcome : outcomes) {
    if (outcome.origin == 0) continue;  // the pipeline's own ticks, start-up demo lots
    if (cluster::is_forwarded_origin(outcome.origin)) {
      if (forwarded != nullptr) forwarded->answer(outcome.origin, outcome.seq);
    } else if (SettlementRequests::owns(outcome.origin)) {
      settlement_requests_.named(outcome.origin, outcome.seq);
    } else if (gateway::AdminServer::owns(outcome.origin)) {
      if (admin_ != nullptr) admin_->answer(outcome.origin, outcome.seq, outcome.events);
    } else {
      answers_.push_back({outcome.origin, outcome.seq, outcome.events});
    }
  }
  if (server_ != nullptr && !answers_.empty()) server_->answer_all(answers_);
  if (settler_ != nullptr && !outcomes.empty()) settler_->notify(outcomes.back().seq);
}

void Wiring::on_refused(std::uint64_t origin) {
  if (origin == 0) return;
  if (cluster::is_forwarded_origin(origin)) {
    if (cluster::CommandServer* forwarded = command_server_.load()) forwarded->refuse(origin);
  } else if (SettlementRequests::owns(origin)) {
    settlement_requests_.refused(origin);
  } else if (gateway::AdminServer::owns(origin)) {
    if (admin_ != nullptr) admin_->refuse(origin);
  } else if (server_ != nullptr) {
    server_->refuse(origin);
  }
}

void Wiring::on_durability(bool ok, const std::string& why) {
  // One line when durability stops and one when it resumes: an operator sees the cause.
  if (ok) {
    std::printf("auctiond: commands are durable again: taking bids\n");
  } else {
    std::printf("auctiond: durability stopped: %s\n", why.c_str());
  }
  std::fflush(stdout);
  std::lock_guard lock(durability_mutex_);
  durability_problem_ = ok ? std::string() : why;
}

std::string Wiring::durability_problem() const {
  std::lock_guard lock(durability_mutex_);
  return durability_problem_;
}

bool Wiring::submit(CommandBody body, std::uint64_t origin) {
  if (Pipeline* pipeline = pipeline_.load()) return pipeline->submit(std::move(body), origin);
  return forwarder_ != nullptr && forwarder_->forward(body, origin);
}

void Wiring::submit_all(std::span<std::pair<CommandBody, std::uint64_t>> batch,
                        std::vector<std::uint64_t>& refused) {
  if (Pipeline* pipeline = pipeline_.load()) {
    if (!pipeline->submit_all(batch)) {
      for (const auto& entry : batch)
        refused.push_back(entry.second);
    }
    return;
  }
  for (auto& [body, origin] : batch) {
    if (forwarder_ == nullptr || !forwarder_->forward(body, origin)) refused.push_back(origin);
  }
}

void Wiring::lead(Pipeline* pipeline, cluster::CommandServer* commands) {
  command_server_.store(commands);
  pipeline_.store(pipeline);
}

void Wiring::on_replicated(std::span<const Event> events, Seq applied_seq) {
  // Whole commands at once (see LotBoard::publish); their time is the stream's, not a clock's.
  if (!events.empty()) board_.publish(events, events.back().ts_ms);
  replica_.applied(events, applied_seq);
  if (settler_ != nullptr) settler_->notify(applied_seq);
}

void Wiring::on_forward_reply(std::uint64_t origin, Seq seq) {
  // A settlement input is answered by this node's settler once it applied that seq.
  if (SettlementRequests::owns(origin)) return settlement_requests_.named(origin, seq);
  replica_.named(origin, seq);
}

void Wiring::answer_one(std::uint64_t origin, Seq seq, std::span<const Event> events) {
  if (gateway::AdminServer::owns(origin)) {
    if (admin_ != nullptr) admin_->answer(origin, seq, events);
  } else if (server_ != nullptr) {
    server_->answer(origin, seq, events);
  }
}

bool Wiring::verify(const UserId& user, std::string_view token) const {
  return accounts_.verify(user, token);
}

Status Wiring::add_user(const UserId& user, std::string_view role, std::string& token_out) {
  const auto parsed = parse_role(role);
  if (!parsed) return Status::error(Status::Code::invalid_argument, "unknown role");
  if (Status s = accounts_.issue(user, *parsed, token_out, IssueMode::create); !s.is_ok()) return s;
  return share_account(user);
}

Status Wiring::reissue_token(const UserId& user, gateway::UserInfo& info_out,
                             std::string& token_out) {
  if (Status s = accounts_.issue(user, Role::bidder, token_out, IssueMode::reissue); !s.is_ok()) {
    return s;
  }
  const auto account = accounts_.find(user);
  info_out = {user, account ? std::string(role_name(account->role)) : "", false};
  return share_account(user);
}

Status Wiring::revoke_user(const UserId& user) {
  if (Status s = accounts_.revoke(user); !s.is_ok()) return s;
  if (server_ != nullptr) server_->disconnect_user(user);
  return share_account(user);
}

Status Wiring::share_account(const UserId& user) {
  if (account_replica_ == nullptr) return Status::ok();
  const auto record = accounts_.record(user);
  if (!record) return Status::error(Status::Code::io_error, "users: the record just written");
  return account_replica_->publish(user, *record);
}

void Wiring::apply_account(const UserId& user, std::string_view record) {
  if (accounts_.record(user) == record) return;  // this node's own change, back from the bucket
  if (!accounts_.put_record(user, record).is_ok()) return;
  const auto account = accounts_.find(user);
  if (account && account->revoked && server_ != nullptr) server_->disconnect_user(user);
}

std::vector<gateway::UserInfo> Wiring::users() const {
  std::vector<gateway::UserInfo> users;
  for (const Account& account : accounts_.list())
    users.push_back({account.user, std::string(role_name(account.role)), account.revoked});
  return users;
}

std::optional<std::string> Wiring::journal_digest_hex(Seq seq) const {
  const auto digest = journal_.mark(seq);
  if (!digest) return std::nullopt;
  return to_hex(*digest);
}

Seq Wiring::durable_seq() const {
  const Pipeline* pipeline = pipeline_.load();
  return pipeline != nullptr ? pipeline->durable_seq() : journal_.last_seq();
}

TimeMs Wiring::now_ms() const {
  return clock_.now_ms();
}

bool Wiring::submit(settlement::InputBody body,
                    std::function<void(const settlement::Answer&)> done) {
  if (!settle_through_journal_) {
    return settler_ != nullptr && settler_->submit(std::move(body), std::move(done));
  }
  const std::uint64_t origin = settlement_requests_.add(std::move(done));
  if (origin == 0) return false;
  if (!submit(ExternalInput{persistence::encode_external_input(body)}, origin)) {
    settlement_requests_.forget(origin);
    return false;
  }
  return true;
}

void Wiring::propose_settlement_input(settlement::InputBody body) {
  if (Pipeline* pipeline = pipeline_.load()) {
    (void)pipeline->submit(ExternalInput{persistence::encode_external_input(body)}, 0);
  }
}

std::vector<std::pair<std::string, settlement::Account>> Wiring::accounts_of(
    const UserId& user) const {
  return settlement_.accounts_of(user);
}

std::vector<std::pair<std::string, settlement::Account>> Wiring::accounts(
    std::string_view prefix) const {
  return settlement_.accounts(prefix);
}

std::optional<settlement::Order> Wiring::order(const LotId& lot) const {
  return settlement_.order(lot);
}

std::vector<settlement::Order> Wiring::orders(const UserId* user) const {
  return settlement_.orders(user);
}

Status Wiring::audit(settlement::LedgerAudit& out) const {
  return settlement_.audit(out);
}

bool Wiring::user_exists(const UserId& user) const {
  const auto account = accounts_.find(user);
  return account && !account->revoked;
}

void Wiring::on_orders(std::span<const settlement::Order> orders) {
  if (server_ != nullptr) server_->notify_orders(orders);
}

gateway::LotView view_of(const LotState& lot) {
  gateway::LotView view;
  view.config = lot.config;
  view.phase = lot.phase;
  view.price_minor = lot.price_minor;
  view.leader = lot.leader;
  view.leader_max_minor = lot.leader_max_minor;
  if (lot.phase == Phase::timed || lot.phase == Phase::extension)
    view.deadline_ms = lot.deadline_ms;
  if (lot.phase == Phase::paused && lot.close_cap_ms != 0) view.deadline_ms = lot.close_cap_ms;
  view.paused_remaining_ms = lot.paused_remaining_ms;
  view.bid_count = lot.bid_count;
  view.seq = lot.seq;
  if (lot.bidding_over()) {
    view.outcome = lot.outcome;
    view.closed_at_ms = lot.closed_at_ms;
    if (lot.outcome == Outcome::sold) view.winner = lot.leader;
  }
  return view;
}

void RecentBidCollector::on_event(const Event& event) {
  const auto* bid = std::get_if<BidAccepted>(&event.body);
  if (bid == nullptr) return;
  auto& bids = bids_[std::string(bid->lot.view())];
  if (bids.size() == gateway::RecentBids::kCapacity) bids.erase(bids.begin());
  bids.push_back(gateway::RecentBid{event.seq, event.ts_ms, bid->bidder, bid->amount_minor,
                                    bid->auto_bid, bid->priority_match});
}

void RecentBidCollector::load_into(gateway::LotBoard& board) const {
  for (const auto& [lot, bids] : bids_) {
    for (const gateway::RecentBid& bid : bids)
      board.load_recent_bid(*LotId::parse(lot), bid);
  }
}

}  // namespace auction
