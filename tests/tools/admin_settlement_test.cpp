// The admin server's settlement plumbing against a fake SettlementPort, driven by the built
// auctionctl: answers come back from another thread, a port that refuses at once is 503 (exit 3),
// no port at all is 503 on every money route, a refusal maps to exit 1, ledger problems exit 1,
// and an answer that arrives after the server stopped is dropped safely. The whole flow against
// the real settlement is auctionctl_money_e2e_test.cpp.
#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "auction/gateway/admin_api.h"
#include "auction/gateway/admin_server.h"
#include "auction/gateway/lot_board.h"
#include "auction/gateway/settlement_port.h"
#include "auctionctl_support.h"

using namespace auction;
using namespace auction::testing;
using namespace std::chrono_literals;

namespace {

namespace st = auction::settlement;

constexpr const char* kToken = "fake-admin-token";

// Answers every input with `answer`, from a thread of its own after `delay`.
class FakeSettlement : public gateway::SettlementPort {
 public:
  ~FakeSettlement() override {
    for (std::thread& t : threads_)
      t.join();
  }

  bool submit(st::InputBody body, std::function<void(const st::Answer&)> done) override {
    if (!accept) return false;
    const std::lock_guard lock(mutex_);
    inputs_.push_back(std::move(body));
    threads_.emplace_back([done = std::move(done), answer = answer, delay = delay] {
      std::this_thread::sleep_for(delay);
      done(answer);
    });
    return true;
  }
  std::vector<std::pair<std::string, st::Account>> accounts_of(const UserId&) const override {
    return {{"wallet/alice/EUR", {*CurrencyCode::parse("EUR"), 12345}}};
  }
  std::vector<std::pair<std::string, st::Account>> accounts(std::string_view) const override {
    return {{"wallet/alice/EUR", {*CurrencyCode::parse("EUR"), 12345}},
            {"world/EUR", {*CurrencyCode::parse("EUR"), -12345}}};
  }
  std::optional<st::Order> order(const LotId& lot) const override {
    if (lot != sold.lot) return std::nullopt;
    return sold;
  }
  std::vector<st::Order> orders(const UserId* user) const override {
    if (user != nullptr && *user != sold.buyer && *user != sold.seller) return {};
    return {sold};
  }
  Status audit(st::LedgerAudit& out) const override {
    out.accounts = 2;
    out.problems = problems;
    return Status::ok();
  }
  bool user_exists(const UserId& user) const override { return user.view() == "alice"; }

  std::vector<st::InputBody> inputs() const {
    const std::lock_guard lock(mutex_);
    return inputs_;
  }

  bool accept = true;
  st::Answer answer;
  std::chrono::milliseconds delay{10};
  std::vector<std::string> problems;
  st::Order sold = [] {
    st::Order o;
    o.lot = *LotId::parse("lamp");
    o.title = *Title::parse("Art deco table lamp");
    o.buyer = *UserId::parse("alice");
    o.seller = *UserId::parse("gallery");
    o.currency = *CurrencyCode::parse("EUR");
    o.price_minor = 15000;
    o.closed_at_ms = 1'795'000'000'000;
    o.payment_due_ms = 1'795'259'200'000;
    return o;
  }();

 private:
  mutable std::mutex mutex_;
  std::vector<st::InputBody> inputs_;
  std::vector<std::thread> threads_;
};

class NoBackend : public gateway::AdminBackend {
 public:
  Status add_user(const UserId&, std::string_view, std::string&) override { return Status::ok(); }
  Status reissue_token(const UserId&, gateway::UserInfo&, std::string&) override {
    return Status::ok();
  }
  Status revoke_user(const UserId&) override { return Status::ok(); }
  std::vector<gateway::UserInfo> users() const override { return {}; }
  std::optional<std::string> journal_digest_hex(Seq) const override { return std::nullopt; }
  Seq durable_seq() const override { return 0; }
  TimeMs now_ms() const override { return 0; }
};

class NoEngine : public gateway::CommandPort {
 public:
  bool submit(CommandBody, std::uint64_t) override { return false; }
};

// An admin server on a free loopback port over `settlement` (null: none).
struct FakeServer {
  explicit FakeServer(gateway::SettlementPort* settlement)
      : api(board, backend, settlement),
        server(gateway::AdminOptions{.address = "127.0.0.1", .port = 0, .token = kToken}, api,
               engine, settlement) {
    server.start();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server.port()); }
  Run ctl(std::vector<std::string> args) const { return ctl_at(url(), std::move(args)); }
  static Run ctl_at(const std::string& url, std::vector<std::string> args) {
    args.insert(args.begin(), {"--server", url});
    return run_ctl(args, {{"AUCTION_ADMIN_TOKEN", kToken}});
  }

  gateway::LotBoard board;
  NoBackend backend;
  NoEngine engine;
  gateway::AdminApi api;
  gateway::AdminServer server;
};

const std::vector<std::string> kCredit = {"wallets",  "credit", "alice",       "--currency", "EUR",
                                          "--amount", "123.45", "--reference", "bank-9"};

}  // namespace

TEST_CASE("money (fake settlement): a credit's answer comes back from the settlement thread") {
  FakeSettlement settlement;
  settlement.answer.transfer_id = 42;
  FakeServer fake(&settlement);
  std::vector<std::string> args = kCredit;
  args.push_back("--json");
  const Message reply = json(fake.ctl(args));
  CHECK(reply.num("transfer_id") == 42);
  CHECK(reply.num("amount") == 12345);
  CHECK(reply.num("balance") == 12345);  // read back after the answer
  const auto inputs = settlement.inputs();
  REQUIRE(inputs.size() == 1);
  const auto* credit = std::get_if<st::Credit>(&inputs[0]);
  REQUIRE(credit != nullptr);
  CHECK(credit->user.view() == "alice");
  CHECK(credit->currency.view() == "EUR");
  CHECK(credit->amount_minor == 12345);
  CHECK(credit->reference == "bank-9");
  CHECK(credit->source == st::CreditSource::operator_command);
}

TEST_CASE("money (fake settlement): refused at once is 503, exit 3 — a refusal is exit 1") {
  FakeSettlement settlement;
  FakeServer fake(&settlement);
  settlement.accept = false;
  const Run busy = fake.ctl(kCredit);
  check_error(busy, 3);
  CHECK_MESSAGE(contains(busy.err, "nothing changed"), describe(busy));
  CHECK(settlement.inputs().empty());

  settlement.accept = true;
  settlement.answer.error = st::SettleError::wrong_state;
  settlement.answer.message = "only a paid order can be shipped";
  const Run ship = fake.ctl({"orders", "ship", "lamp", "--tracking", "T-1"});
  check_error(ship, 1);
  CHECK_MESSAGE(contains(ship.err, "only a paid order can be shipped (wrong_state)"),
                describe(ship));
  const auto inputs = settlement.inputs();
  REQUIRE(inputs.size() == 1);
  const auto* shipped = std::get_if<st::Ship>(&inputs[0]);
  REQUIRE(shipped != nullptr);
  CHECK(shipped->tracking == "T-1");

  settlement.answer.error = st::SettleError::unavailable;
  settlement.answer.message = "settlement is stopping";
  check_error(fake.ctl({"orders", "resolve", "lamp", "--release"}), 3);
}

TEST_CASE("money (fake settlement): without settlement every money route is 503, exit 3") {
  FakeServer fake(nullptr);
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{kCredit,
                                             {"balances"},
                                             {"orders", "list"},
                                             {"orders", "show", "lamp"},
                                             {"orders", "ship", "lamp", "--tracking", "T"},
                                             {"orders", "resolve", "lamp", "--refund"},
                                             {"ledger", "check"}}) {
    const Run run = fake.ctl(args);
    CAPTURE(run.command);
    check_error(run, 3);
    CHECK_MESSAGE(contains(run.err, "settlement"), describe(run));
  }
}

TEST_CASE("money (fake settlement): ledger check with problems lists them and exits 1") {
  FakeSettlement settlement;
  settlement.problems = {"currency EUR sums to 5, not 0", "account hold/bob/lamp is below zero"};
  FakeServer fake(&settlement);
  const Run table = fake.ctl({"ledger", "check"});
  check_error(table, 1);
  CHECK_MESSAGE(contains(table.err, "2 problem(s)"), describe(table));
  CHECK_MESSAGE(contains(table.err, "currency EUR sums to 5, not 0"), describe(table));
  CHECK_MESSAGE(contains(table.out, "account hold/bob/lamp is below zero"), describe(table));
  const Run as_json = fake.ctl({"ledger", "check", "--json"});
  check_error(as_json, 1);
  const Message audit{std::optional<std::string>(as_json.out)};
  CHECK(audit.root()["ok"].get_bool().value() == false);
  CHECK(items(audit.root(), "problems").size() == 2);

  settlement.problems.clear();
  const Message fine = json(fake.ctl({"ledger", "check", "--json"}));
  CHECK(fine.root()["ok"].get_bool().value() == true);
  CHECK(fine.str("digest") == "0000000000000000");
}

TEST_CASE("money (fake settlement): orders and balances tables from the port's state") {
  FakeSettlement settlement;
  FakeServer fake(&settlement);
  const Run list = ok(fake.ctl({"orders", "list"}));
  CHECK_MESSAGE(has_line_with(list.out, {"lamp", "alice", "gallery", "awaiting_payment",
                                         "150.00 EUR", "payment by"}),
                describe(list));
  const Message order = json(fake.ctl({"orders", "show", "lamp", "--json"}));
  CHECK(order.num("due") == 15000);
  CHECK(order.is_null("shipped_at_ms"));
  CHECK(order.num("payment_due_ms") == 1'795'259'200'000);
  const Run balances = ok(fake.ctl({"balances"}));
  CHECK_MESSAGE(has_line_with(balances.out, {"world/EUR", "world", "-123.45 EUR", "-12345"}),
                describe(balances));
  check_error(fake.ctl({"orders", "show", "vase"}), 1);  // unknown_order
  // A user the port does not know, with nothing to show: refused rather than an empty table.
  check_error(fake.ctl({"orders", "list", "--user", "nobody"}), 1);
}

TEST_CASE("money (fake settlement): an answer arriving after the server stopped is dropped") {
  FakeSettlement settlement;
  settlement.delay = 1'000ms;
  auto fake = std::make_unique<FakeServer>(&settlement);
  auto pending = std::async(std::launch::async,
                            [url = fake->url()] { return FakeServer::ctl_at(url, kCredit); });
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (settlement.inputs().empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  REQUIRE(settlement.inputs().size() == 1);
  fake->server.stop();  // the answer is still a second away
  fake.reset();         // and the server is gone before it arrives
  const Run run = pending.get();
  check_error(run, 3);                   // the connection ended without a response
  std::this_thread::sleep_for(1'200ms);  // the answer fires into a closed gate: nothing happens
}
