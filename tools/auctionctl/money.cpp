#include "money.h"

#include <cstdio>

#include "lot_input.h"
#include "output.h"
#include "values.h"

namespace auctionctl {
namespace {

namespace dom = simdjson::dom;

constexpr const char* kOrderStates[] = {"awaiting_payment", "paid",     "shipped", "completed",
                                        "defaulted",        "disputed", "refunded"};

CLI::App* subcommand(CLI::App& parent, const char* name, const char* help) {
  CLI::App* sub = parent.add_subcommand(name, help);
  sub->fallthrough();
  return sub;
}

// "?user=alice&state=paid" from the parameters given (values are ids or names: no escaping).
std::string query(std::initializer_list<std::pair<const char*, const std::string*>> params) {
  std::string out;
  for (const auto& [key, value] : params) {
    if (value->empty()) continue;
    out += (out.empty() ? "?" : "&") + std::string(key) + "=" + *value;
  }
  return out;
}

std::string minor_units(dom::element object, std::string_view key) {
  return std::to_string(number(object, key).value_or(0));
}

// ---------------------------------------------------------------------------------------------
// wallets credit

int credit(Session& session, const MoneyArgs& args) {
  if (!is_currency(args.currency)) {
    return fail(kBadInput, "--currency: bad currency \"" + args.currency +
                               "\": an ISO 4217 code of three capital letters, e.g. EUR");
  }
  if (args.amount.empty() == args.amount_minor.empty()) {
    return fail(kBadInput,
                "give the amount once: --amount 123.45 (major units) or "
                "--amount-minor 12345 (minor units)");
  }
  const Parsed<std::int64_t> minor = args.amount.empty()
                                         ? parse_amount(args.amount_minor)
                                         : parse_major_amount(args.amount, args.currency);
  if (!minor.value) {
    return fail(kBadInput, (args.amount.empty() ? "--amount-minor: " : "--amount: ") + minor.error);
  }
  if (!is_reference(args.reference)) {
    return fail(kBadInput, "--reference: bad reference \"" + args.reference +
                               "\": 1-64 printable ASCII characters without spaces");
  }
  const std::string body = "{\"currency\":" + json_string(args.currency) +
                           ",\"amount\":" + std::to_string(*minor.value) +
                           ",\"reference\":" + json_string(args.reference) + "}";
  const auto explain = [&](const std::string& code, const std::string& message,
                           const std::string& field, std::optional<std::size_t>) {
    return (field.empty() ? "" : field + ": ") + message + " (" + code + "); nothing was booked";
  };
  Reply reply;
  if (int code =
          session.call("POST", "/v1/wallets/" + args.user + "/credit", body, reply, explain)) {
    return code;
  }
  return print_reply(session, reply, [&] {
    const dom::element r = reply.root;
    std::printf("credited %s to %s (reference %s, transfer %lld); wallet %s now %s\n",
                amount(r, "amount").c_str(), text(r, "user").c_str(), text(r, "reference").c_str(),
                static_cast<long long>(number(r, "transfer_id").value_or(0)),
                text(r, "account").c_str(), amount(r, "balance").c_str());
  });
}

// ---------------------------------------------------------------------------------------------
// balances

int balances(Session& session, const MoneyArgs& args) {
  Reply reply;
  if (int code = session.call("GET", "/v1/balances" + query({{"user", &args.user}}), "", reply)) {
    return code;
  }
  return print_reply(session, reply, [&] {
    Table table({"ACCOUNT", "KIND", "BALANCE", "MINOR UNITS"});
    std::size_t count = 0;
    for (const dom::element account : reply.root["accounts"].get_array()) {
      table.add({text(account, "account"), text(account, "kind"), amount(account, "balance"),
                 minor_units(account, "balance")});
      ++count;
    }
    if (count == 0) {
      std::printf("no accounts%s\n", args.user.empty() ? "" : (" for " + args.user).c_str());
      return;
    }
    table.print();
  });
}

// ---------------------------------------------------------------------------------------------
// orders

// What the order waits for next, for tables.
std::string next_step(dom::element order) {
  const std::string state = text(order, "state");
  const std::int64_t now_ms = wall_ms();
  if (state == "awaiting_payment" && number(order, "payment_due_ms")) {
    const std::int64_t due = *number(order, "payment_due_ms");
    return "payment by " + local_time(due) + in_how_long(due, now_ms);
  }
  if (state == "paid") return "seller to ship";
  if (state == "shipped" && number(order, "confirm_due_ms")) {
    const std::int64_t due = *number(order, "confirm_due_ms");
    return "receipt auto-confirmed " + local_time(due) + in_how_long(due, now_ms);
  }
  if (state == "disputed") return "operator to resolve";
  return "-";
}

void print_order_table(dom::array orders) {
  Table table({"ORDER", "TITLE", "BUYER", "SELLER", "STATE", "PRICE", "DUE", "ESCROW", "NEXT"});
  for (const dom::element order : orders) {
    std::string title = text(order, "title");
    if (title.size() > 32) title = title.substr(0, 29) + "...";
    table.add({text(order, "order"), title, text(order, "buyer"), text(order, "seller"),
               text(order, "state"), amount(order, "price"), amount(order, "due"),
               amount(order, "escrow"), next_step(order)});
  }
  table.print();
}

int list_orders(Session& session, const MoneyArgs& args) {
  Reply reply;
  const std::string target = "/v1/orders" + query({{"user", &args.user}, {"state", &args.state}});
  if (int code = session.call("GET", target, "", reply)) return code;
  return print_reply(session, reply, [&] {
    const dom::array orders = reply.root["orders"].get_array();
    if (orders.size() == 0) {
      std::printf("no orders\n");
      return;
    }
    print_order_table(orders);
  });
}

void print_order(dom::element order) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"order", text(order, "order") + " - " + text(order, "title")},
      {"buyer", text(order, "buyer")},
      {"seller", text(order, "seller")},
      {"state", text(order, "state")},
      {"price", amount(order, "price") + " (" + minor_units(order, "price") + " minor units)"},
      {"deposit applied", amount(order, "deposit_applied")},
      {"paid", amount(order, "paid")},
      {"due", amount(order, "due")},
      {"in escrow", amount(order, "escrow")},
      {"fee", amount(order, "fee")},
      {"closed at", when(order, "closed_at_ms") + " (seq " + minor_units(order, "close_seq") + ")"},
      {"payment due", when(order, "payment_due_ms")},
      {"shipped at", when(order, "shipped_at_ms")},
      {"tracking", text(order, "tracking")},
      {"confirm due", when(order, "confirm_due_ms")},
      {"dispute", text(order, "dispute_reason")},
      {"updated", when(order, "updated_ms")},
      {"next", next_step(order)},
  };
  print_fields(fields);
}

int show_order(Session& session, const MoneyArgs& args) {
  Reply reply;
  if (int code = session.call("GET", "/v1/orders/" + args.order, "", reply)) return code;
  return print_reply(session, reply, [&] { print_order(reply.root); });
}

int ship_order(Session& session, const MoneyArgs& args) {
  if (args.tracking.empty() || args.tracking.size() > 100) {
    return fail(kBadInput, "--tracking: the carrier's tracking reference, 1-100 bytes");
  }
  Reply reply;
  if (int code = session.call("POST", "/v1/orders/" + args.order + "/ship",
                              "{\"tracking\":" + json_string(args.tracking) + "}", reply)) {
    return code;
  }
  return print_reply(session, reply, [&] {
    std::printf("order %s shipped (tracking %s); receipt is confirmed automatically %s\n",
                args.order.c_str(), text(reply.root, "tracking").c_str(),
                when(reply.root, "confirm_due_ms").c_str());
  });
}

int resolve_order(Session& session, const MoneyArgs& args) {
  if (args.refund == args.release) {
    return fail(kBadInput,
                "give one of --refund (the buyer gets the escrow back) or --release "
                "(the seller is paid)");
  }
  Reply reply;
  const std::string body =
      args.refund ? "{\"resolution\":\"refund\"}" : "{\"resolution\":\"release\"}";
  if (int code = session.call("POST", "/v1/orders/" + args.order + "/resolve", body, reply)) {
    return code;
  }
  return print_reply(session, reply, [&] {
    const dom::element o = reply.root;
    if (args.refund) {
      std::printf("order %s refunded: the escrow went back to %s's wallet; now %s\n",
                  args.order.c_str(), text(o, "buyer").c_str(), text(o, "state").c_str());
    } else {
      std::printf("order %s released to %s (fee %s); now %s\n", args.order.c_str(),
                  text(o, "seller").c_str(), amount(o, "fee").c_str(), text(o, "state").c_str());
    }
  });
}

// ---------------------------------------------------------------------------------------------
// ledger check

int ledger_check(Session& session) {
  Reply reply;
  if (int code = session.call("GET", "/v1/ledger/check", "", reply)) return code;
  const dom::element r = reply.root;
  std::vector<std::string> problems;
  for (const dom::element problem : r["problems"].get_array()) {
    std::string_view what;
    if (problem.get(what) == simdjson::SUCCESS) problems.emplace_back(what);
  }
  print_reply(session, reply, [&] {
    print_fields({{"ledger", problems.empty() ? "ok: every invariant holds" : "PROBLEMS"},
                  {"accounts", minor_units(r, "accounts")},
                  {"orders", minor_units(r, "orders")},
                  {"transfers", minor_units(r, "transfers")},
                  {"references", minor_units(r, "references")},
                  {"engine cursor", minor_units(r, "engine_cursor")},
                  {"input seq", minor_units(r, "input_seq")},
                  {"digest", text(r, "digest")}});
    for (const std::string& problem : problems)
      std::printf("  problem: %s\n", problem.c_str());
  });
  if (problems.empty()) return 0;
  return fail(kRefused, "ledger check found " + std::to_string(problems.size()) +
                            " problem(s), the first: " + problems.front());
}

}  // namespace

std::vector<const std::string*> MoneyArgs::ids() const {
  std::vector<const std::string*> out;
  for (const std::string* id : {&user, &order}) {
    if (!id->empty()) out.push_back(id);
  }
  return out;
}

namespace {

using Action = std::function<int()>;

// `command`, when picked, sets `action` to `run`.
void on(CLI::App* command, Action& action, Action run) {
  command->callback([&action, run = std::move(run)] { action = run; });
}

void add_wallet_commands(CLI::App& app, Session& session, MoneyArgs& args, Action& action) {
  CLI::App* wallets = subcommand(app, "wallets", "money into users' wallets");
  wallets->require_subcommand(1);
  CLI::App* credit_cmd = subcommand(*wallets, "credit",
                                    "book money received outside (e.g. a bank transfer) into a "
                                    "user's wallet; each reference is booked at most once");
  credit_cmd->add_option("user", args.user, "user id")->required();
  credit_cmd->add_option("--currency", args.currency, "ISO 4217 code, e.g. EUR")->required();
  CLI::Option* major = credit_cmd->add_option(
      "--amount", args.amount, "amount in major units: 123.45 EUR, 1000 JPY, 1.234 BHD");
  CLI::Option* minor =
      credit_cmd->add_option("--amount-minor", args.amount_minor, "amount in minor units: 12345");
  major->excludes(minor);
  credit_cmd->add_option("--reference", args.reference, "the payment's external reference")
      ->required();
  on(credit_cmd, action, [&] { return credit(session, args); });

  CLI::App* balances_cmd = subcommand(
      app, "balances", "ledger accounts and their balances: wallets, holds, escrows, payables");
  balances_cmd->add_option("--user", args.user, "only this user's accounts");
  on(balances_cmd, action, [&] { return balances(session, args); });
}

void add_order_commands(CLI::App& app, Session& session, MoneyArgs& args, Action& action) {
  CLI::App* orders = subcommand(app, "orders", "orders of sold lots: list, show, ship, resolve");
  orders->require_subcommand(1);
  CLI::App* list_cmd = subcommand(*orders, "list", "orders with their state and amounts");
  list_cmd->add_option("--user", args.user, "only orders this user bought or sold");
  list_cmd->add_option("--state", args.state, "only orders in this state")
      ->check(CLI::IsMember(
          std::vector<std::string>(std::begin(kOrderStates), std::end(kOrderStates))));
  on(list_cmd, action, [&] { return list_orders(session, args); });
  CLI::App* show_cmd = subcommand(*orders, "show", "an order's amounts, deadlines and tracking");
  show_cmd->add_option("order", args.order, "order id (the lot's id)")->required();
  on(show_cmd, action, [&] { return show_order(session, args); });
  CLI::App* ship_cmd = subcommand(*orders, "ship", "mark a paid order shipped");
  ship_cmd->add_option("order", args.order, "order id (the lot's id)")->required();
  ship_cmd->add_option("--tracking", args.tracking, "the carrier's tracking reference")->required();
  on(ship_cmd, action, [&] { return ship_order(session, args); });
  CLI::App* resolve_cmd = subcommand(*orders, "resolve", "end a dispute: refund or release");
  resolve_cmd->add_option("order", args.order, "order id (the lot's id)")->required();
  resolve_cmd->add_flag("--refund", args.refund, "give the escrow back to the buyer");
  resolve_cmd->add_flag("--release", args.release, "pay the seller (less the fee)");
  on(resolve_cmd, action, [&] { return resolve_order(session, args); });
}

}  // namespace

void add_money_commands(CLI::App& app, Session& session, MoneyArgs& args,
                        std::function<int()>& action) {
  add_wallet_commands(app, session, args, action);
  add_order_commands(app, session, args, action);
  CLI::App* ledger = subcommand(app, "ledger", "the escrow ledger");
  ledger->require_subcommand(1);
  CLI::App* check_cmd = subcommand(
      *ledger, "check", "check every ledger invariant (exit 1 and one line when one fails)");
  on(check_cmd, action, [&] { return ledger_check(session); });
}

}  // namespace auctionctl
