// The admin API's lot routes (SPEC §2, §4.3, §5, §8): create (a catalogue, or its dry run),
// edit, waive a deposit, grant a priority right, a sold lot's confirmation; and the lot JSON.
#include <simdjson.h>

#include <algorithm>
#include <unordered_set>

#include "admin_checks.h"
#include "admin_lots.h"
#include "auction/gateway/admin_api.h"
#include "auction/gateway/json_writer.h"

namespace auction::gateway {
namespace admin {
namespace {

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

}  // namespace

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
  w.field("paused_remaining_ms", v.phase == Phase::paused
                                     ? std::optional<std::int64_t>(v.paused_remaining_ms)
                                     : std::nullopt);
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

// A 422 naming `field` unless `user` is an account with `role` (a lot's seller, a priority
// purchaser).
Check role_problem(const AdminBackend& backend, const UserId& user, std::string_view role,
                   std::string_view field) {
  const auto users = backend.users();
  const auto found = std::find_if(users.begin(), users.end(),
                                  [&](const UserInfo& info) { return info.user == user; });
  if (found != users.end() && !found->revoked && found->role == role) return std::nullopt;
  return problem(422, "invalid_config",
                 std::string(field) + " must be an existing user with the " + std::string(role) +
                     " role (auctionctl users add NAME --role " + std::string(role) + ")",
                 std::string(field));
}

AdminResponse lot_response(const LotBoard& board, const LotId& lot, unsigned status) {
  const auto view = board.find(lot);
  if (!view) return respond(problem(404, "unknown_lot", "no such lot"));
  AdminResponse response{status, {}};
  JsonWriter w(response.body);
  const std::vector<RecentBid> bids = board.recent_bids(lot);
  write_lot(w, *view, &bids);
  return response;
}

}  // namespace admin

using namespace admin;

AdminResponse AdminApi::dry_run_lots(const std::vector<LotConfig>& configs) const {
  const TimeMs now_ms = backend_.now_ms();
  std::unordered_set<std::string_view> seen;
  for (std::size_t i = 0; i < configs.size(); ++i) {
    const LotConfig config = with_defaults(configs[i]);
    Check bad;
    if (const auto problem_found = check_new_lot(config, now_ms)) {
      bad = problem(422, "invalid_config", std::string(problem_found->message),
                    std::string(problem_found->field));
    } else if (board_.find(config.id) || !seen.insert(configs[i].id.view()).second) {
      bad = problem(409, "lot_exists", "a lot with this id exists or the catalogue names it twice");
    }
    if (bad) {
      bad->index = i;
      bad->lot = std::string(config.id.view());
      return respond(*bad);
    }
  }
  AdminResponse response;
  JsonWriter w(response.body);
  w.begin_object().field("dry_run", true).begin_array("lots");
  for (const LotConfig& config : configs) {
    LotView view;
    view.config = with_defaults(config);
    write_lot(w, view, nullptr);
  }
  w.end_array().end_object();
  return response;
}

AdminReply AdminApi::create_lots(std::string_view body, bool dry_run) {
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
    Check bad = lot_config(Fields(lot_object), nullptr, now_ms, config);
    if (!bad) bad = role_problem(backend_, config.seller, "seller", "seller");
    if (bad) {
      bad->index = configs.size();
      std::string_view id;
      if (lot_object["id"].get(id) == simdjson::SUCCESS) bad->lot = std::string(id);
      return respond(*bad);
    }
    configs.push_back(config);
  }
  if (configs.empty()) return respond(problem(422, "invalid_config", "no lots given", "lots"));
  if (dry_run) return dry_run_lots(configs);
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
  Check bad = lot_config(Fields(object), &view->config, backend_.now_ms(), config);
  // A new seller must be one; a lot's seller from before this rule may stay as it is.
  if (!bad && config.seller != view->config.seller) {
    bad = role_problem(backend_, config.seller, "seller", "seller");
  }
  if (bad) {
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
  if (auto bad = role_problem(backend_, bidder, "bidder", "bidder")) return respond(*bad);
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

}  // namespace auction::gateway
