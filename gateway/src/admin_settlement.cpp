// The admin API's money and order routes (SPEC §6, §8): wallet credits, balances, orders,
// shipping, dispute resolution and the ledger audit, over a SettlementPort.
#include <simdjson.h>

#include <cstdio>
#include <map>

#include "admin_checks.h"
#include "auction/gateway/admin_api.h"
#include "auction/gateway/json_writer.h"
#include "auction/gateway/settlement_json.h"

namespace auction::gateway {
namespace {

using namespace admin;  // Problem, Check, Fields, respond(): the shared request checks
using settlement::SettleError;

AdminResponse no_settlement() {
  return respond(problem(503, "unavailable", "settlement is not running on this server"));
}

// One HTTP status per settlement error code, so a client can rely on either.
unsigned status_of(SettleError error) {
  switch (error) {
    case SettleError::invalid_input:
      return 400;
    case SettleError::invalid_amount:
      return 422;  // as for lot amounts
    case SettleError::unknown_lot:
    case SettleError::unknown_order:
      return 404;
    case SettleError::not_buyer:
      return 403;
    case SettleError::unavailable:
      return 503;
    default:
      return 409;
  }
}

AdminResponse refused(const settlement::Answer& answer, const LotId* order = nullptr) {
  Problem p =
      problem(status_of(answer.error), std::string(settle_error_name(answer.error)),
              answer.message.empty() ? "refused by settlement" : std::string(answer.message));
  if (order != nullptr) p.lot = std::string(order->view());
  return respond(p);
}

// The query's parameters (`?a=1&b=2`); unknown, repeated or empty ones are a problem. Values
// are not percent-decoded: every parameter here is an id or a name without special characters.
Check query_params(std::string_view target, std::initializer_list<std::string_view> known,
                   std::map<std::string_view, std::string_view>& out) {
  const auto question = target.find('?');
  if (question == std::string_view::npos) return std::nullopt;
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    const std::string_view pair = query.substr(0, query.find('&'));
    query.remove_prefix(std::min(query.size(), pair.size() + 1));
    const auto equals = pair.find('=');
    const std::string_view key = pair.substr(0, equals);
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return problem(400, "bad_request", "unknown query parameter \"" + std::string(key) + "\"",
                     std::string(key));
    }
    if (equals == std::string_view::npos || equals + 1 == pair.size() || out.count(key) != 0) {
      return problem(400, "bad_request", std::string(key) + " must be given once, with a value",
                     std::string(key));
    }
    out[key] = pair.substr(equals + 1);
  }
  return std::nullopt;
}

// The `user` query parameter, if given.
Check user_param(const std::map<std::string_view, std::string_view>& params,
                 std::optional<UserId>& user) {
  const auto found = params.find("user");
  if (found == params.end()) return std::nullopt;
  user = UserId::parse(found->second);
  if (!user) return problem(400, "invalid_id", "not a valid user id", "user");
  return std::nullopt;
}

// External references: 1–64 printable ASCII characters, no spaces (settlement's rule).
bool is_reference(std::string_view text) {
  return !text.empty() && text.size() <= settlement::kMaxReferenceBytes &&
         std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7F; });
}

void write_account(JsonWriter& w, const std::string& name, const settlement::Account& account) {
  const auto kind = settlement::account_kind(name);
  // Names are kind/PART[/PART]: the user of wallets, holds and payables; the lot of holds and
  // escrows (docs/ADMIN_API.md).
  std::string_view rest = std::string_view(name).substr(name.find('/') + 1);
  const std::string_view first = rest.substr(0, rest.find('/'));
  const std::string_view second = rest.find('/') == std::string_view::npos
                                      ? std::string_view{}
                                      : rest.substr(rest.find('/') + 1);
  using Kind = settlement::AccountKind;
  const bool has_user = kind == Kind::wallet || kind == Kind::hold || kind == Kind::payable;
  const std::string_view lot =
      kind == Kind::hold ? second : (kind == Kind::escrow ? first : std::string_view{});
  w.begin_object()
      .field("account", name)
      .field("kind", kind ? settlement::account_kind_name(*kind) : std::string_view("unknown"))
      .field("currency", account.currency.view())
      .field("balance", std::int64_t{account.balance_minor});
  if (has_user) {
    w.field("user", first);
  } else {
    w.field_null("user");
  }
  if (!lot.empty()) {
    w.field("lot", lot);
  } else {
    w.field_null("lot");
  }
  w.end_object();
}

AdminResponse order_response(const settlement::Order& order) {
  AdminResponse response;
  JsonWriter w(response.body);
  w.begin_object();
  write_order_fields(w, order);
  w.end_object();
  return response;
}

}  // namespace

AdminReply AdminApi::wallets_request(const AdminRequest& request,
                                     const std::vector<std::string_view>& path) {
  if (path.size() != 4 || path[3] != "credit") {
    return respond(problem(404, "not_found", "no such route"));
  }
  if (request.method != "POST") return respond(problem(405, "method_not_allowed", "use POST"));
  const auto user = UserId::parse(path[2]);
  if (!user) return respond(problem(400, "invalid_id", "not a valid user id"));
  if (settlement_ == nullptr) return no_settlement();
  return credit(*user, request.body);
}

AdminReply AdminApi::credit(const UserId& user, std::string_view body) {
  dom::parser parser;
  dom::object object;
  if (Check bad = parse_object(parser, body, object)) return respond(*bad);
  const Fields f(object);
  if (Check bad = f.only({"currency", "amount", "reference"})) return respond(*bad);
  for (const std::string_view key : {"currency", "amount", "reference"}) {
    if (!f.has(key)) return respond(*f.missing(key));
  }
  settlement::Credit credit;
  credit.user = user;
  credit.source = settlement::CreditSource::operator_command;
  std::string_view text;
  if (Check bad = f.text("currency", text)) return respond(*bad);
  const auto currency = CurrencyCode::parse(text);
  if (!currency) {
    return respond(problem(400, "invalid_input",
                           "currency must be an ISO 4217 code of three capital letters, e.g. EUR",
                           "currency"));
  }
  credit.currency = *currency;
  if (Check bad = f.amount("amount", credit.amount_minor)) return respond(*bad);
  if (Check bad = f.text("reference", text)) return respond(*bad);
  if (!is_reference(text)) {
    return respond(problem(400, "invalid_input",
                           "reference must be 1-64 printable ASCII characters without spaces",
                           "reference"));
  }
  credit.reference = std::string(text);
  if (!settlement_->user_exists(user)) {
    return respond(problem(404, "unknown_user", "no user " + std::string(user.view())));
  }
  return DeferredSettlement{credit, [this, credit](const settlement::Answer& answer) {
                              if (!answer.ok()) return refused(answer);
                              const std::string wallet =
                                  settlement::wallet_account(credit.user, credit.currency);
                              AmountMinor balance = 0;
                              for (const auto& [name, account] : settlement_->accounts(wallet)) {
                                if (name == wallet) balance = account.balance_minor;
                              }
                              AdminResponse response;
                              JsonWriter(response.body)
                                  .begin_object()
                                  .field("user", credit.user.view())
                                  .field("currency", credit.currency.view())
                                  .field("amount", std::int64_t{credit.amount_minor})
                                  .field("reference", credit.reference)
                                  .field("transfer_id", std::uint64_t{answer.transfer_id})
                                  .field("account", wallet)
                                  .field("balance", std::int64_t{balance})
                                  .end_object();
                              return response;
                            }};
}

AdminResponse AdminApi::balances(const AdminRequest& request) const {
  std::map<std::string_view, std::string_view> params;
  if (Check bad = query_params(request.target, {"user"}, params)) return respond(*bad);
  std::optional<UserId> user;
  if (Check bad = user_param(params, user)) return respond(*bad);
  if (settlement_ == nullptr) return no_settlement();
  const auto accounts = user ? settlement_->accounts_of(*user) : settlement_->accounts("");
  // A user without accounts is either new or a typo: only the typo is an error.
  if (user && accounts.empty() && !settlement_->user_exists(*user)) {
    return respond(problem(404, "unknown_user", "no user " + std::string(user->view())));
  }
  AdminResponse response;
  JsonWriter w(response.body);
  w.begin_object().begin_array("accounts");
  for (const auto& [name, account] : accounts)
    write_account(w, name, account);
  w.end_array().end_object();
  return response;
}

AdminReply AdminApi::orders_request(const AdminRequest& request,
                                    const std::vector<std::string_view>& path) {
  if (path.size() == 2) {
    if (request.method != "GET") return respond(problem(405, "method_not_allowed", "use GET"));
    return list_orders(request);
  }
  if (path.size() > 4) return respond(problem(404, "not_found", "no such route"));
  const auto order = LotId::parse(path[2]);
  if (!order) return respond(problem(400, "invalid_id", "not a valid order id"));
  if (path.size() == 3 && request.method != "GET") {
    return respond(problem(405, "method_not_allowed", "use GET"));
  }
  if (path.size() == 4 && path[3] != "ship" && path[3] != "resolve") {
    return respond(problem(404, "not_found", "no such route"));
  }
  if (path.size() == 4 && request.method != "POST") {
    return respond(problem(405, "method_not_allowed", "use POST"));
  }
  if (settlement_ == nullptr) return no_settlement();
  const auto found = settlement_->order(*order);
  if (!found) {
    Problem p = problem(404, "unknown_order", "no order " + std::string(order->view()));
    p.lot = std::string(order->view());
    return respond(p);
  }
  if (path.size() == 3) return order_response(*found);
  return order_action(*order, path[3], request.body);
}

AdminResponse AdminApi::list_orders(const AdminRequest& request) const {
  std::map<std::string_view, std::string_view> params;
  if (Check bad = query_params(request.target, {"user", "state"}, params)) return respond(*bad);
  std::optional<UserId> user;
  if (Check bad = user_param(params, user)) return respond(*bad);
  std::optional<settlement::OrderState> state;
  if (const auto found = params.find("state"); found != params.end()) {
    state = settlement::parse_order_state(found->second);
    if (!state) {
      return respond(problem(400, "bad_request",
                             "state must be awaiting_payment, paid, shipped, completed, "
                             "defaulted, disputed or refunded",
                             "state"));
    }
  }
  if (settlement_ == nullptr) return no_settlement();
  const auto orders = settlement_->orders(user ? &*user : nullptr);
  if (user && orders.empty() && !settlement_->user_exists(*user)) {
    return respond(problem(404, "unknown_user", "no user " + std::string(user->view())));
  }
  AdminResponse response;
  JsonWriter w(response.body);
  w.begin_object().begin_array("orders");
  for (const settlement::Order& order : orders) {
    if (state && order.state != *state) continue;
    w.begin_object();
    write_order_fields(w, order);
    w.end_object();
  }
  w.end_array().end_object();
  return response;
}

AdminReply AdminApi::order_action(const LotId& order, std::string_view action,
                                  std::string_view body) {
  dom::parser parser;
  dom::object object;
  if (Check bad = parse_object(parser, body, object)) return respond(*bad);
  const Fields f(object);
  const std::string_view key = action == "ship" ? "tracking" : "resolution";
  if (Check bad = f.only({key})) return respond(*bad);
  if (!f.has(key)) return respond(*f.missing(key));
  std::string_view text;
  if (Check bad = f.text(key, text)) return respond(*bad);
  settlement::InputBody input;
  if (action == "ship") {
    if (text.empty() || text.size() > settlement::kMaxTrackingBytes || !is_valid_utf8(text)) {
      return respond(
          problem(400, "invalid_input", "tracking must be 1-100 bytes of text", "tracking"));
    }
    input = settlement::Ship{order, std::string(text)};
  } else {
    if (text != "refund" && text != "release") {
      return respond(
          problem(400, "bad_request", "resolution must be refund or release", "resolution"));
    }
    input = settlement::Resolve{
        order, text == "refund" ? settlement::Resolution::refund : settlement::Resolution::release};
  }
  return DeferredSettlement{std::move(input), [this, order](const settlement::Answer& answer) {
                              if (!answer.ok()) return refused(answer, &order);
                              if (answer.order) return order_response(*answer.order);
                              const auto now = settlement_->order(order);
                              return now ? order_response(*now)
                                         : respond(problem(500, "internal", "the order vanished"));
                            }};
}

AdminResponse AdminApi::ledger_check(const AdminRequest& request) const {
  std::map<std::string_view, std::string_view> params;
  if (Check bad = query_params(request.target, {}, params)) return respond(*bad);
  if (settlement_ == nullptr) return no_settlement();
  settlement::LedgerAudit audit;
  if (const Status s = settlement_->audit(audit); !s.is_ok()) {
    return respond(problem(500, "internal", "the audit could not run: " + s.message()));
  }
  char digest[17];
  std::snprintf(digest, sizeof(digest), "%016llx", static_cast<unsigned long long>(audit.digest));
  AdminResponse response;
  JsonWriter w(response.body);
  w.begin_object()
      .field("ok", audit.problems.empty())
      .field("accounts", audit.accounts)
      .field("orders", audit.orders)
      .field("transfers", audit.transfers)
      .field("references", audit.references)
      .field("engine_cursor", std::uint64_t{audit.engine_cursor})
      .field("input_seq", std::uint64_t{audit.input_seq})
      .field("digest", std::string_view(digest))
      .begin_array("problems");
  for (const std::string& problem_text : audit.problems)
    w.value(problem_text);
  w.end_array().end_object();
  return response;
}

}  // namespace auction::gateway
