#include "auction/gateway/admin_api.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <span>

#include "admin_checks.h"
#include "admin_lots.h"
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
    if (request.method == "POST") {
      const std::string_view query =
          request.target.substr(std::min(request.target.find('?'), request.target.size()));
      return create_lots(request.body, query.find("dry_run=true") != std::string_view::npos);
    }
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
