#include "auction/gateway/admin_api.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <span>

#include "admin_checks.h"
#include "auction/gateway/json_writer.h"

namespace auction::gateway {
namespace {

using namespace admin;  // Problem, Check, Fields, respond(): the shared request checks

std::vector<std::string_view> split_path(std::string_view target) {
  target = target.substr(0, target.find('?'));
  std::vector<std::string_view> parts;
  while (!target.empty()) {
    const auto slash = target.find('/');
    if (slash != 0) parts.push_back(target.substr(0, slash));
    if (slash == std::string_view::npos) break;
    target.remove_prefix(slash + 1);
  }
  return parts;
}

std::optional<std::int64_t> amount_or_null(AmountMinor amount) {
  return amount == 0 ? std::nullopt : std::optional<std::int64_t>(amount);
}
std::optional<std::int64_t> time_or_null(TimeMs time_ms) {
  return time_ms == 0 ? std::nullopt : std::optional<std::int64_t>(time_ms);
}

unsigned status_of(CommandError error) {
  switch (error) {
    case CommandError::invalid_config:
      return 422;
    case CommandError::unknown_lot:
      return 404;
    default:
      return 409;
  }
}

// The engine's refusal of an admin command, if it refused.
std::optional<Problem> refusal(const CommandResult& result) {
  for (const Event& event : result.events) {
    if (const auto* rejected = std::get_if<CommandRejected>(&event.body)) {
      Problem p =
          problem(status_of(rejected->error), std::string(command_error_name(rejected->error)),
                  std::string(rejected->message), std::string(rejected->field));
      p.lot = std::string(rejected->lot.view());
      return p;
    }
  }
  return std::nullopt;
}

// `recent_bids`, when given, are listed too (a single lot's view).
void write_lot(JsonWriter& w, const LotView& v, const std::vector<RecentBid>* recent_bids) {
  const LotConfig& c = v.config;
  w.begin_object()
      .field("lot", c.id.view())
      .field("title", c.title.view())
      .field("seller", c.seller.view())
      .field("currency", c.currency.view())
      .field("phase", phase_name(v.phase))
      .field("start_price", c.start_price_minor)
      .field("increment", c.increment_minor)
      .field("reserve", c.reserve_minor)
      .field("deposit", c.deposit_minor)
      .field("starts_at_ms", c.starts_at_ms)
      .field("timed_ms", c.timed_ms)
      .field("extension_ms", c.extension_ms)
      .field("latest_close_at_ms", time_or_null(c.latest_close_at_ms))
      .field("max_bids", allows_max_bids(c))  // false on lots with priority purchasers
      .field("price", amount_or_null(v.price_minor));
  if (!c.increments.empty()) w.field_raw("increments", increments_json(c));
  w.begin_array("priority");  // SPEC §4.3's grants, in the order they were given
  for (const PriorityGrant& grant : c.priority) {
    w.begin_object()
        .field("bidder", grant.bidder.view())
        .field("rank", std::int64_t{grant.rank})
        .end_object();
  }
  w.end_array();
  if (v.leader.empty()) {
    w.field_null("leader");
  } else {
    w.field("leader", v.leader.view());
  }
  w.field("min_next", v.min_next_minor())
      .field("deadline_ms", v.deadline_ms)
      .field("reserve_met", v.reserve_met())
      .field("bids", std::int64_t{v.bid_count})
      .field("seq", v.seq);
  if (v.outcome) {
    w.field("outcome", outcome_name(*v.outcome));
  } else {
    w.field_null("outcome");
  }
  if (v.winner.empty()) {
    w.field_null("winner");
  } else {
    w.field("winner", v.winner.view());
  }
  w.field("closed_at_ms", time_or_null(v.closed_at_ms));
  if (recent_bids != nullptr) {
    w.begin_array("recent_bids");
    for (const RecentBid& bid : *recent_bids) {
      w.begin_object()
          .field("seq", bid.seq)
          .field("ts_ms", bid.ts_ms)
          .field("bidder", bid.bidder.view())
          .field("amount", bid.amount_minor)
          .end_object();
    }
    w.end_array();
  }
  w.end_object();
}

AdminResponse lot_response(const LotBoard& board, const LotId& lot, unsigned status = 200) {
  const auto view = board.find(lot);
  if (!view) return respond(problem(404, "unknown_lot", "no such lot"));
  AdminResponse response{status, {}};
  JsonWriter w(response.body);
  const std::vector<RecentBid> bids = board.recent_bids(lot);
  write_lot(w, *view, &bids);
  return response;
}

}  // namespace

AdminResponse AdminApi::error(unsigned status, std::string_view code, std::string_view message) {
  return respond(problem(status, std::string(code), std::string(message)));
}

AdminReply AdminApi::handle(const AdminRequest& request) {
  const auto path = split_path(request.target);
  if (path.size() < 2 || path[0] != "v1") {
    return respond(problem(404, "not_found", "no such route (the API is under /v1/)"));
  }
  return route(request, path);
}

AdminReply AdminApi::route(const AdminRequest& request, const std::vector<std::string_view>& path) {
  const auto method_not_allowed = [&] {
    return respond(problem(405, "method_not_allowed",
                           std::string(request.method) + " is not allowed on this route"));
  };
  if (path[1] == "status" && path.size() == 2) {
    return request.method == "GET" ? AdminReply(status()) : method_not_allowed();
  }
  if (path[1] == "users") return users_request(request, path);
  if (path[1] == "lots") return lots_request(request, path);
  if (path[1] == "wallets") return wallets_request(request, path);
  if (path[1] == "balances" && path.size() == 2) {
    return request.method == "GET" ? AdminReply(balances(request)) : method_not_allowed();
  }
  if (path[1] == "orders") return orders_request(request, path);
  if (path[1] == "ledger" && path.size() == 3 && path[2] == "check") {
    return request.method == "GET" ? AdminReply(ledger_check(request)) : method_not_allowed();
  }
  return respond(problem(404, "not_found", "no such route"));
}

AdminReply AdminApi::users_request(const AdminRequest& request,
                                   const std::vector<std::string_view>& path) {
  const auto write_user = [](std::string_view user, std::string_view role, std::string_view token,
                             unsigned status) {
    AdminResponse response{status, {}};
    JsonWriter w(response.body);
    w.begin_object().field("user", user).field("role", role).field("token", token).end_object();
    return response;
  };
  if (path.size() == 2 && request.method == "GET") {
    AdminResponse response;
    JsonWriter w(response.body);
    w.begin_object().begin_array("users");
    for (const UserInfo& info : backend_.users()) {
      w.begin_object()
          .field("user", info.user.view())
          .field("role", info.role)
          .field("revoked", info.revoked)
          .end_object();
    }
    w.end_array().end_object();
    return response;
  }
  if (path.size() == 2 && request.method == "POST") {
    dom::parser parser;
    dom::object object;
    if (Check bad = parse_object(parser, request.body, object)) return respond(*bad);
    const Fields f(object);
    if (Check bad = f.only({"user", "role"})) return respond(*bad);
    UserId user;
    if (!f.has("user")) return respond(*f.missing("user"));
    if (Check bad = f.id("user", user)) return respond(*bad);
    std::string_view role = "bidder";
    if (f.has("role")) {
      if (Check bad = f.text("role", role)) return respond(*bad);
    }
    if (role != "bidder" && role != "seller") {
      return respond(problem(400, "bad_request", "role must be bidder or seller", "role"));
    }
    std::string token;
    const Status s = backend_.add_user(user, role, token);
    if (s.code() == Status::Code::invalid_argument) {
      return respond(problem(409, "user_exists", "user " + std::string(user.view()) + " exists"));
    }
    if (!s.is_ok()) return respond(problem(500, "internal", s.message()));
    return write_user(user.view(), role, token, 201);
  }
  if (path.size() != 4) return respond(problem(404, "not_found", "no such route"));
  const auto user = UserId::parse(path[2]);
  if (!user) return respond(problem(400, "invalid_id", "not a valid user id"));
  if (request.method != "POST") {
    return respond(problem(405, "method_not_allowed", "use POST"));
  }
  if (path[3] == "token") {
    UserInfo info;
    std::string token;
    const Status s = backend_.reissue_token(*user, info, token);
    if (s.code() == Status::Code::not_found) {
      return respond(problem(404, "unknown_user", "no user " + std::string(user->view())));
    }
    if (!s.is_ok()) return respond(problem(500, "internal", s.message()));
    return write_user(user->view(), info.role, token, 200);
  }
  if (path[3] == "revoke") {
    const Status s = backend_.revoke_user(*user);
    if (s.code() == Status::Code::not_found) {
      return respond(problem(404, "unknown_user", "no user " + std::string(user->view())));
    }
    if (!s.is_ok()) return respond(problem(500, "internal", s.message()));
    AdminResponse response;
    JsonWriter(response.body)
        .begin_object()
        .field("user", user->view())
        .field("revoked", true)
        .end_object();
    return response;
  }
  return respond(problem(404, "not_found", "no such route"));
}

AdminReply AdminApi::lots_request(const AdminRequest& request,
                                  const std::vector<std::string_view>& path) {
  if (path.size() == 2) {
    if (request.method == "POST") return create_lots(request.body);
    if (request.method != "GET")
      return respond(problem(405, "method_not_allowed", "use GET or POST"));
    AdminResponse response;
    JsonWriter w(response.body);
    w.begin_object().begin_array("lots");
    for (const LotView& view : board_.list())
      write_lot(w, view, nullptr);
    w.end_array().end_object();
    return response;
  }
  const auto lot = LotId::parse(path[2]);
  if (!lot) return respond(problem(400, "invalid_id", "not a valid lot id"));
  if (path.size() == 3) {
    if (request.method == "GET") return lot_response(board_, *lot);
    if (request.method == "PATCH") return edit_lot(*lot, request.body);
    return respond(problem(405, "method_not_allowed", "use GET or PATCH"));
  }
  if (path.size() != 4) return respond(problem(404, "not_found", "no such route"));
  return lot_request(request, *lot, path[3]);
}

AdminReply AdminApi::lot_request(const AdminRequest& request, const LotId& lot,
                                 std::string_view action) {
  if (action == "confirmation") {
    if (request.method != "GET") return respond(problem(405, "method_not_allowed", "use GET"));
    return confirmation(lot);
  }
  if (request.method != "POST") return respond(problem(405, "method_not_allowed", "use POST"));
  if (action == "qualify") return qualify(lot, request.body);
  if (action == "priority") return grant_priority(lot, request.body);
  std::optional<CommandBody> command;
  if (action == "pause") command = PauseLot{lot};
  if (action == "resume") command = ResumeLot{lot};
  if (action == "cancel") command = CancelLot{lot};
  if (!command) return respond(problem(404, "not_found", "no such route"));
  return DeferredCommand{std::move(*command), [this, lot](const CommandResult& result) {
                           if (result.refused) return unavailable();
                           if (auto p = refusal(result)) return respond(*p);
                           return lot_response(board_, lot);
                         }};
}

AdminReply AdminApi::create_lots(std::string_view body) {
  dom::parser parser;
  dom::object object;
  if (Check bad = parse_object(parser, body, object)) return respond(*bad);
  const Fields top(object);
  if (Check bad = top.only({"lots"})) return respond(*bad);
  dom::array array;
  if (object["lots"].get(array) != simdjson::SUCCESS) {
    return respond(problem(400, "bad_request", "lots must be an array of lot objects", "lots"));
  }
  std::vector<LotConfig> configs;
  const TimeMs now_ms = backend_.now_ms();
  for (const dom::element element : array) {
    dom::object lot_object;
    if (element.get(lot_object) != simdjson::SUCCESS) {
      Problem bad = problem(400, "bad_request", "each lot must be an object");
      bad.index = configs.size();
      return respond(bad);
    }
    LotConfig config;
    if (Check bad = lot_config(Fields(lot_object), nullptr, now_ms, config)) {
      bad->index = configs.size();
      std::string_view id;
      if (lot_object["id"].get(id) == simdjson::SUCCESS) bad->lot = std::string(id);
      return respond(*bad);
    }
    configs.push_back(config);
  }
  if (configs.empty()) return respond(problem(422, "invalid_config", "no lots given", "lots"));
  std::vector<LotId> ids;
  for (const LotConfig& config : configs)
    ids.push_back(config.id);
  CommandBody command = configs.size() == 1 ? CommandBody(CreateLot{configs.front()})
                                            : CommandBody(CreateLots{std::move(configs)});
  return DeferredCommand{
      std::move(command), [this, ids = std::move(ids)](const CommandResult& result) {
        if (result.refused) return unavailable();
        if (auto p = refusal(result)) {
          const auto at = std::find_if(ids.begin(), ids.end(),
                                       [&](const LotId& id) { return id.view() == p->lot; });
          if (at != ids.end()) p->index = static_cast<std::size_t>(at - ids.begin());
          return respond(*p);
        }
        AdminResponse response{201, {}};
        JsonWriter w(response.body);
        w.begin_object().field("seq", result.seq).begin_array("lots");
        for (const LotId& id : ids) {
          if (const auto view = board_.find(id)) write_lot(w, *view, nullptr);
        }
        w.end_array().end_object();
        return response;
      }};
}

AdminReply AdminApi::edit_lot(const LotId& lot, std::string_view body) {
  const auto view = board_.find(lot);
  if (!view) return respond(problem(404, "unknown_lot", "no such lot"));
  dom::parser parser;
  dom::object object;
  if (Check bad = parse_object(parser, body, object)) return respond(*bad);
  LotConfig config;
  if (Check bad = lot_config(Fields(object), &view->config, backend_.now_ms(), config)) {
    bad->lot = std::string(lot.view());
    return respond(*bad);
  }
  return DeferredCommand{EditLot{config}, [this, lot](const CommandResult& result) {
                           if (result.refused) return unavailable();
                           if (auto p = refusal(result)) return respond(*p);
                           return lot_response(board_, lot);
                         }};
}

AdminReply AdminApi::qualify(const LotId& lot, std::string_view body) {
  dom::parser parser;
  dom::object object;
  if (Check bad = parse_object(parser, body, object)) return respond(*bad);
  const Fields f(object);
  if (Check bad = f.only({"bidder"})) return respond(*bad);
  if (!f.has("bidder")) return respond(*f.missing("bidder"));
  UserId bidder;
  if (Check bad = f.id("bidder", bidder)) return respond(*bad);
  return DeferredCommand{QualifyBidder{lot, bidder, QualifySource::waiver},
                         [lot, bidder](const CommandResult& result) {
                           if (result.refused) return unavailable();
                           if (auto p = refusal(result)) return respond(*p);
                           AdminResponse response;
                           JsonWriter(response.body)
                               .begin_object()
                               .field("lot", lot.view())
                               .field("bidder", bidder.view())
                               .field("source", "waiver")
                               .field("seq", result.seq)
                               .end_object();
                           return response;
                         }};
}

// SPEC §4.3: `{bidder, rank}` grants a priority right on a scheduled lot (journaled). The bidder
// must be a user with the bidder role; the engine judges the rest (rank, seller, limit, phase).
AdminReply AdminApi::grant_priority(const LotId& lot, std::string_view body) {
  dom::parser parser;
  dom::object object;
  if (Check bad = parse_object(parser, body, object)) return respond(*bad);
  const Fields f(object);
  if (Check bad = f.only({"bidder", "rank"})) return respond(*bad);
  if (!f.has("bidder")) return respond(*f.missing("bidder"));
  UserId bidder;
  std::int64_t rank = 0;
  if (Check bad = f.id("bidder", bidder)) return respond(*bad);
  if (Check bad = f.integer("rank", rank, 1, kMaxPriorityRank, "invalid_config")) {
    return respond(*bad);
  }
  const auto users = backend_.users();
  const auto user = std::find_if(users.begin(), users.end(),
                                 [&](const UserInfo& info) { return info.user == bidder; });
  if (user == users.end() || user->revoked || user->role != "bidder") {
    return respond(problem(422, "invalid_config",
                           "bidder must be an existing user with the bidder role", "bidder"));
  }
  return DeferredCommand{GrantPriority{lot, bidder, static_cast<std::uint32_t>(rank)},
                         [this, lot](const CommandResult& result) {
                           if (result.refused) return unavailable();
                           if (auto p = refusal(result)) return respond(*p);
                           return lot_response(board_, lot);
                         }};
}

AdminResponse AdminApi::confirmation(const LotId& lot) const {
  const auto view = board_.find(lot);
  if (!view) return respond(problem(404, "unknown_lot", "no such lot"));
  if (!view->outcome) {
    return respond(problem(409, "lot_not_closed", "the lot has not closed yet"));
  }
  if (*view->outcome != Outcome::sold) {
    return respond(problem(409, "not_sold",
                           "the lot closed " + std::string(outcome_name(*view->outcome)) +
                               ": there is no transaction to confirm"));
  }
  const auto digest = backend_.journal_digest_hex(view->seq);
  if (!digest) {
    return respond(problem(500, "internal", "the journal holds no digest for the close"));
  }
  // SPEC §4.3: a winner who holds a priority right on the lot bought under it.
  const std::uint32_t rank = priority_rank(view->config, view->winner);
  AdminResponse response;
  JsonWriter(response.body)
      .begin_object()
      .field("lot", lot.view())
      .field("title", view->config.title.view())
      .field("seller", view->config.seller.view())
      .field("winner", view->winner.view())
      .field("price", view->price_minor)
      .field("currency", view->config.currency.view())
      .field("closed_at_ms", view->closed_at_ms)
      .field("seq", view->seq)
      .field("journal_digest", *digest)
      .field("priority_rank", rank == 0 ? std::nullopt : std::optional<std::int64_t>(rank))
      .end_object();
  return response;
}

AdminResponse AdminApi::status() const {
  AdminResponse response;
  JsonWriter w(response.body);
  w.begin_object()
      .field("durable_seq", backend_.durable_seq())
      .field("lots", std::uint64_t{board_.lot_count()})
      .field("subscribers", std::uint64_t{board_.subscriber_count()})
      .field("now_ms", backend_.now_ms());
  if (const auto shard = backend_.shard_status_json()) w.field_raw("shard", *shard);
  w.end_object();
  return response;
}

}  // namespace auction::gateway
