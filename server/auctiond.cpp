// auctiond: the auction server. One process: engine, durable journal, snapshots, WebSocket and
// HTTP gateway, on an embedded LMDB data directory.
//
//   auctiond --data-dir DIR [--listen 127.0.0.1:8080] [--demo] [--config auctiond.toml] ...
//
// Start-up recovers the data directory (snapshot + journal), then serves. SIGINT/SIGTERM: stop
// accepting, answer or refuse what is in flight, flush the journal, exit 0.
#include <signal.h>

#include <toml++/toml.h>
#include <CLI/CLI.hpp>
#include <cstdio>

#include <sys/stat.h>

#include <fstream>

#include "auction/persistence/recovery.h"
#include "auction/persistence/settler.h"
#include "auction/persistence/snapshotter.h"
#include "auctionctl/values.h"
#include "demo_catalogue.h"
#include "page.h"
#include "wiring.h"

using namespace auction;
using namespace auction::persistence;

namespace {

struct Config {
  std::string data_dir = "auction-data";
  std::string listen = "127.0.0.1:8080";
  std::string admin_listen = "127.0.0.1:8081";  // loopback: the admin port is not for bidders
  std::string admin_token_file;                 // default: DATA_DIR/admin.token
  unsigned io_threads = 1;
  std::size_t journal_capacity_mib = 8192;
  std::uint64_t snapshot_every = 1'000'000;
  bool demo = false;
  unsigned demo_bidders = 0;      // bidder0..bidderN-1, for load tests
  std::string demo_tokens_file;   // where their tokens go ("user token" lines)
  unsigned demo_open_lots = 0;    // open-0..open-N-1: extension-only lots open for a day
  DurationMs demo_sprint_ms = 0;  // a lot "sprint" with this timed phase and extension
  gateway::ServerLimits limits;
  // Settlement (SPEC §6); durations in the SPEC's forms (1500ms, 30s, 5m, 2h, 1d).
  std::string payment_window = "72h";
  std::string confirm_window = "10d";
  std::uint32_t fee_bps = 500;
  std::string forfeit_to = "seller";
  std::string webhook_secret_file;  // default: DATA_DIR/webhook.secret, made if missing
  std::string webhook_tolerance = "5m";
};

int fail(const std::string& what) {
  std::fprintf(stderr, "auctiond: %s\n", what.c_str());
  return 1;
}

bool split_address(const std::string& text, std::string& address, std::uint16_t& port) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  const std::string digits = text.substr(colon + 1);
  if (digits.empty() || digits.size() > 5 ||
      digits.find_first_not_of("0123456789") != std::string::npos || std::stoul(digits) > 65535) {
    return false;
  }
  address = text.substr(0, colon);
  port = static_cast<std::uint16_t>(std::stoul(digits));
  return true;
}

// The admin token: read from `path`, or made (32 random bytes, base64url) and written there
// readable by the owner only, the first time. Whoever can read the data directory is an admin.
Status load_admin_token(const std::string& path, std::string& token) {
  if (std::ifstream in(path); in) {
    std::getline(in, token);
    if (token.size() < 16) {
      return Status::error(Status::Code::invalid_argument,
                           path + ": an admin token has at least 16 characters");
    }
    return Status::ok();
  }
  if (Status s = new_token(token); !s.is_ok()) return s;
  const mode_t old_mask = umask(077);
  std::ofstream out(path, std::ios::trunc);
  out << token << "\n";
  out.close();
  umask(old_mask);
  if (!out) return Status::error(Status::Code::io_error, "cannot write " + path);
  return Status::ok();
}

void write_text_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text << "\n";
}

void apply_file(const std::string& path, Config& config) {
  const toml::table table = toml::parse_file(path);
  config.data_dir = table["data_dir"].value_or(config.data_dir);
  config.listen = table["listen"].value_or(config.listen);
  config.admin_listen = table["admin_listen"].value_or(config.admin_listen);
  config.admin_token_file = table["admin_token_file"].value_or(config.admin_token_file);
  config.io_threads = table["io_threads"].value_or(config.io_threads);
  config.journal_capacity_mib = table["journal_capacity_mib"].value_or(config.journal_capacity_mib);
  config.snapshot_every = table["snapshot_every"].value_or(config.snapshot_every);
  auto& l = config.limits;
  l.max_frame_bytes = table["limits"]["max_frame_bytes"].value_or(l.max_frame_bytes);
  l.bids_per_second = table["limits"]["bids_per_second"].value_or(l.bids_per_second);
  l.bid_burst = table["limits"]["bid_burst"].value_or(l.bid_burst);
  l.messages_per_second = table["limits"]["messages_per_second"].value_or(l.messages_per_second);
  l.message_burst = table["limits"]["message_burst"].value_or(l.message_burst);
  l.max_outbound_bytes = table["limits"]["max_outbound_bytes"].value_or(l.max_outbound_bytes);
  l.max_connections = table["limits"]["max_connections"].value_or(l.max_connections);
  const auto settlement = table["settlement"];
  config.payment_window = settlement["payment_window"].value_or(config.payment_window);
  config.confirm_window = settlement["confirm_window"].value_or(config.confirm_window);
  config.fee_bps = settlement["fee_bps"].value_or(config.fee_bps);
  config.forfeit_to = settlement["forfeit_to"].value_or(config.forfeit_to);
  config.webhook_secret_file =
      settlement["webhook_secret_file"].value_or(config.webhook_secret_file);
  config.webhook_tolerance = settlement["webhook_tolerance"].value_or(config.webhook_tolerance);
}

// The settlement configuration from the options, or the reason it is invalid.
Status settlement_config(const Config& config, settlement::SettlementConfig& out,
                         DurationMs& webhook_tolerance_ms) {
  const auto duration = [](const std::string& text, const char* option, DurationMs& value) {
    const auto parsed = auctionctl::parse_duration(text);
    if (!parsed.value) return Status::error(std::string(option) + ": " + parsed.error);
    value = *parsed.value;
    return Status::ok();
  };
  if (Status s = duration(config.payment_window, "--payment-window", out.payment_window_ms);
      !s.is_ok()) {
    return s;
  }
  if (Status s = duration(config.confirm_window, "--confirm-window", out.confirm_window_ms);
      !s.is_ok()) {
    return s;
  }
  if (Status s = duration(config.webhook_tolerance, "--webhook-tolerance", webhook_tolerance_ms);
      !s.is_ok()) {
    return s;
  }
  out.fee_bps = config.fee_bps;
  if (config.forfeit_to != "seller" && config.forfeit_to != "platform") {
    return Status::error("--forfeit-to must be seller or platform");
  }
  out.forfeit_to = config.forfeit_to == "seller" ? settlement::ForfeitTo::seller
                                                 : settlement::ForfeitTo::platform;
  if (!settlement::is_valid(out)) {
    return Status::error("settlement: windows must be 1ms..366d and --fee-bps at most 10000");
  }
  return Status::ok();
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  CLI::App app{"auctiond: the real-time auction server (WebSocket bidders, durable journal)"};
  std::string server_options_tls_cert, server_options_tls_key;
  std::string config_file;
  std::int64_t handshake_ms = config.limits.handshake_timeout.count();
  std::int64_t idle_ms = config.limits.idle_timeout.count();
  app.add_option("--config", config_file, "TOML file with any of the options below")
      ->check(CLI::ExistingFile);
  app.add_option("--data-dir", config.data_dir, "data directory (created if missing)");
  app.add_option("--listen", config.listen, "address:port for HTTP and WebSocket (port 0 = any)");
  app.add_option("--admin-listen", config.admin_listen,
                 "address:port of the admin interface for auctionctl (keep it on loopback)");
  app.add_option("--admin-token-file", config.admin_token_file,
                 "file holding the admin token (default DATA_DIR/admin.token, made if missing)");
  app.add_option("--io-threads", config.io_threads, "network threads")->check(CLI::Range(1, 64));
  app.add_option("--journal-capacity-mib", config.journal_capacity_mib,
                 "most the journal may hold; past it bids are refused until it is raised");
  app.add_option("--snapshot-every", config.snapshot_every, "commands between snapshots");
  app.add_flag("--demo", config.demo, "load a demo catalogue and print demo bidder tokens");
  app.add_option("--demo-bidders", config.demo_bidders,
                 "with --demo: also bidders bidder0..N-1 (tokens to --demo-tokens-file)");
  app.add_option("--demo-tokens-file", config.demo_tokens_file,
                 "with --demo-bidders: file for their \"user token\" lines");
  app.add_option("--demo-sprint-ms", config.demo_sprint_ms,
                 "with --demo: a lot \"sprint\" opening now, timed phase and extension this long");
  app.add_option("--demo-open-lots", config.demo_open_lots,
                 "with --demo: also N lots open-0..open-N-1 in their extension phase for a day");
  app.add_option("--max-frame-bytes", config.limits.max_frame_bytes, "largest WebSocket frame");
  app.add_option("--bids-per-second", config.limits.bids_per_second, "bid rate per connection");
  app.add_option("--bid-burst", config.limits.bid_burst, "bid burst per connection");
  app.add_option("--messages-per-second", config.limits.messages_per_second,
                 "messages of any kind per connection");
  app.add_option("--message-burst", config.limits.message_burst, "message burst per connection");
  app.add_option("--max-outbound-bytes", config.limits.max_outbound_bytes,
                 "unsent bytes per connection before it is dropped as not reading");
  app.add_option("--max-connections", config.limits.max_connections, "open connections");
  app.add_option("--abuse-rejections", config.limits.abuse_rejections,
                 "rate-limited bids in a row before the connection is closed (1008)");
  app.add_option("--handshake-timeout-ms", handshake_ms, "time to complete a handshake")
      ->check(CLI::Range(std::int64_t{100}, std::int64_t{3'600'000}));
  app.add_option("--tls-cert", server_options_tls_cert,
                 "PEM certificate chain: serve https/wss too")
      ->check(CLI::ExistingFile);
  app.add_option("--tls-key", server_options_tls_key, "PEM private key of --tls-cert")
      ->check(CLI::ExistingFile);
  app.add_option("--idle-timeout-ms", idle_ms,
                 "silence before a connection is pinged (half) and closed (whole)")
      ->check(CLI::Range(std::int64_t{100}, std::int64_t{86'400'000}));
  app.add_option("--payment-window", config.payment_window,
                 "time a buyer has to pay after the close (e.g. 72h)");
  app.add_option("--confirm-window", config.confirm_window,
                 "receipt is confirmed automatically this long after shipping (e.g. 10d)");
  app.add_option("--fee-bps", config.fee_bps, "platform fee in basis points of the price");
  app.add_option("--forfeit-to", config.forfeit_to,
                 "who receives a defaulted buyer's deposit: seller (less the fee) or platform");
  app.add_option("--webhook-secret-file", config.webhook_secret_file,
                 "shared secret of the payment webhook (default DATA_DIR/webhook.secret)");
  app.add_option("--webhook-tolerance", config.webhook_tolerance,
                 "how far a webhook's timestamp may be from now (e.g. 5m)");
  CLI11_PARSE(app, argc, argv);
  try {
    if (!config_file.empty()) {
      apply_file(config_file, config);
      app.parse(argc, argv);  // flags override the file
    }
  } catch (const std::exception& e) {
    return fail(config_file + ": " + e.what());
  }
  config.limits.handshake_timeout = std::chrono::milliseconds(handshake_ms);
  config.limits.idle_timeout = std::chrono::milliseconds(idle_ms);
  gateway::ServerOptions server_options;
  if (!split_address(config.listen, server_options.address, server_options.port)) {
    return fail("--listen must be address:port");
  }
  gateway::AdminOptions admin_options;
  if (!split_address(config.admin_listen, admin_options.address, admin_options.port)) {
    return fail("--admin-listen must be address:port");
  }
  server_options.io_threads = config.io_threads;
  server_options.limits = config.limits;
  server_options.page_html = std::string(kBidderPage);
  if (server_options_tls_cert.empty() != server_options_tls_key.empty()) {
    return fail("--tls-cert and --tls-key go together");
  }
  server_options.tls_certificate_file = server_options_tls_cert;
  server_options.tls_private_key_file = server_options_tls_key;
  settlement::SettlementConfig settlement_options;
  if (Status s = settlement_config(config, settlement_options, server_options.webhook_tolerance_ms);
      !s.is_ok()) {
    return fail(s.message());
  }

  // Signals are taken by this thread only (sigwait below); block them before threads start.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::unique_ptr<Journal> journal;
  std::unique_ptr<SnapshotStore> snapshots;
  std::unique_ptr<AccountStore> accounts;
  std::unique_ptr<SettlementStore> settlement_store;
  if (Status s = Journal::open(
          JournalOptions{config.data_dir + "/journal", config.journal_capacity_mib << 20}, journal);
      !s.is_ok()) {
    return fail(s.message());
  }
  if (journal->unfinished_bytes() != 0) {
    std::fprintf(stderr,
                 "auctiond: the journal ended in a batch cut short by a crash (never "
                 "acknowledged); its %zu bytes are kept in %s/unfinished-*.bin\n",
                 journal->unfinished_bytes(), journal->directory().c_str());
  }
  if (Status s = SnapshotStore::open(config.data_dir + "/snapshots", false, snapshots);
      !s.is_ok()) {
    return fail(s.message());
  }
  if (Status s = AccountStore::open(config.data_dir + "/users", accounts); !s.is_ok()) {
    return fail(s.message());
  }
  if (Status s = SettlementStore::open(config.data_dir + "/settlement", false, settlement_store);
      !s.is_ok()) {
    return fail(s.message());
  }
  if (config.admin_token_file.empty()) config.admin_token_file = config.data_dir + "/admin.token";
  if (Status s = load_admin_token(config.admin_token_file, admin_options.token); !s.is_ok()) {
    return fail(s.message());
  }
  if (config.webhook_secret_file.empty()) {
    config.webhook_secret_file = config.data_dir + "/webhook.secret";
  }
  if (Status s = load_admin_token(config.webhook_secret_file, server_options.webhook_secret);
      !s.is_ok()) {
    return fail(s.message());
  }
  Engine engine;
  RecoveryReport report;
  RecentBidCollector recent_bids;
  if (Status s = recover(engine, *journal, snapshots.get(), report, &recent_bids); !s.is_ok()) {
    return fail("recovery stopped: " + s.message());
  }
  std::printf("auctiond: recovered seq %llu (snapshot %llu, %llu replayed) in %.1f ms\n",
              static_cast<unsigned long long>(report.last_seq),
              static_cast<unsigned long long>(report.snapshot_seq),
              static_cast<unsigned long long>(report.replayed_commands), report.elapsed_ms);

  gateway::LotBoard board;
  for (const LotState& lot : engine.lots())
    board.load(view_of(lot));
  recent_bids.load_into(board);
  Snapshotter snapshotter(
      *journal, *snapshots, engine.limits(),
      SnapshotterOptions{config.snapshot_every, std::chrono::milliseconds(500)});
  if (Status s = snapshotter.start(engine.snapshot()); !s.is_ok()) return fail(s.message());

  SystemClock clock;
  Wiring wiring(board, *accounts, *journal, *settlement_store, clock);
  // Settlement catches up with the journal before anything new is sequenced.
  SettlerOptions settler_options;
  settler_options.config = settlement_options;
  Settler settler(*journal, snapshots.get(), *settlement_store, clock, engine.limits(),
                  settler_options, &wiring);
  if (Status s = settler.start(); !s.is_ok()) return fail("settlement: " + s.message());
  PipelineOptions pipeline_options;
  pipeline_options.rebuild = [&](Engine& fresh) {
    RecoveryReport ignored;
    return recover(fresh, *journal, snapshots.get(), ignored);
  };
  Pipeline pipeline(engine, *journal, clock, wiring, journal->chain().digest, pipeline_options);
  gateway::StatusSource status;
  status.healthy = [&] { return !pipeline.stats().journal_failed && !settler.stats().failed; };
  status.metrics_text = [&] {
    const PipelineStats stats = pipeline.stats();
    const SettlerStats settled = settler.stats();
    const JournalSpace space = journal->space();
    return "# TYPE auction_journal_durable_seq gauge\nauction_journal_durable_seq " +
           std::to_string(stats.durable_seq) +
           "\n# TYPE auction_journal_commits_total counter\nauction_journal_commits_total " +
           std::to_string(stats.batches) +
           "\n# TYPE auction_journal_free_bytes gauge\nauction_journal_free_bytes " +
           std::to_string(space.free_bytes()) +
           "\n# TYPE auction_settlement_cursor gauge\nauction_settlement_cursor " +
           std::to_string(settled.engine_cursor) +
           "\n# TYPE auction_settlement_inputs_total counter\nauction_settlement_inputs_total " +
           std::to_string(settled.inputs) + "\n";
  };
  gateway::Server server(server_options, board, wiring, wiring, status, &wiring);
  gateway::AdminApi admin_api(board, wiring, &wiring);
  gateway::AdminServer admin(admin_options, admin_api, wiring, &wiring);
  wiring.attach(&pipeline, &settler, &server, &admin);
  const bool fresh = engine.lots().empty();  // read before the core thread owns the engine
  pipeline.start(report.last_seq > 0);
  // A crash between a deposit hold and the bidder's qualification: qualify again (harmless if
  // the engine already has it).
  for (const auto& [user, lot] : settler.holds_to_qualify()) {
    pipeline.submit(QualifyBidder{lot, user, QualifySource::deposit_held}, 0);
  }
  std::string serving = "--listen " + config.listen;
  try {
    server.start();
    serving = "--admin-listen " + config.admin_listen;
    admin.start();
  } catch (const std::exception& e) {
    pipeline.stop();
    return fail("cannot serve on " + serving + ": " + e.what());
  }
  const std::string base = "http://" + server_options.address + ":" + std::to_string(server.port());
  std::printf("auctiond: listening %s (bidder page %s/ , WebSocket ws://%s:%u/ws)\n", base.c_str(),
              base.c_str(), server_options.address.c_str(), server.port());
  const std::string admin_url =
      "http://" + admin_options.address + ":" + std::to_string(admin.port());
  write_text_file(config.data_dir + "/admin.url", admin_url);
  std::printf("auctiond: admin interface %s (token in %s)\n", admin_url.c_str(),
              config.admin_token_file.c_str());
  if (!server_options.tls_certificate_file.empty()) {
    std::printf("auctiond: TLS on the same port: https://%s:%u/ and wss://%s:%u/ws\n",
                server_options.address.c_str(), server.port(), server_options.address.c_str(),
                server.port());
  }
  if (config.demo) {
    if (fresh) {
      for (const LotConfig& lot : demo_catalogue(clock.now_ms())) {
        pipeline.submit(CreateLot{lot}, 0);
      }
      for (unsigned i = 0; i < config.demo_open_lots; ++i) {
        pipeline.submit(CreateLot{open_demo_lot(i, clock.now_ms())}, 0);
      }
      if (config.demo_sprint_ms > 0) {
        LotConfig sprint = open_demo_lot(0, clock.now_ms());
        sprint.id = *LotId::parse("sprint");
        sprint.title = *Title::parse("Sprint lot (short timers)");
        sprint.timed_ms = config.demo_sprint_ms;
        sprint.extension_ms = config.demo_sprint_ms;
        pipeline.submit(CreateLot{sprint}, 0);
      }
      // The tokens below tell people (and tests) the demo is ready: its lots first.
      const std::size_t demo_lots =
          demo_catalogue(0).size() + config.demo_open_lots + (config.demo_sprint_ms > 0 ? 1 : 0);
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      while (board.lot_count() < demo_lots && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    }
    if (config.demo_bidders > 0) {
      std::FILE* file = std::fopen(config.demo_tokens_file.c_str(), "w");
      if (file == nullptr) return fail("cannot write " + config.demo_tokens_file);
      for (unsigned i = 0; i < config.demo_bidders; ++i) {
        const std::string name = "bidder" + std::to_string(i);
        std::string token;
        if (Status s = accounts->issue(*UserId::parse(name), Role::bidder, token); !s.is_ok()) {
          return fail(s.message());
        }
        std::fprintf(file, "%s %s\n", name.c_str(), token.c_str());
      }
      std::fclose(file);
      std::printf("auctiond: %u demo bidders' tokens in %s\n", config.demo_bidders,
                  config.demo_tokens_file.c_str());
    }
    std::printf("auctiond: demo bidders (tokens are new each start):\n");
    for (const char* name : {"alice", "bob", "carol"}) {
      std::string token;
      if (Status s = accounts->issue(*UserId::parse(name), Role::bidder, token); !s.is_ok()) {
        return fail(s.message());
      }
      std::printf("  user %-6s token %s\n", name, token.c_str());
    }
  }
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  std::printf("auctiond: signal %d, shutting down\n", signal_number);
  pipeline.stop();  // everything queued is applied, journaled and answered (or refused)
  settler.stop();   // settles what was submitted and what the journal holds
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let answers reach the sockets
  server.stop();
  admin.stop();
  snapshotter.stop();
  std::printf("auctiond: stopped at seq %llu\n",
              static_cast<unsigned long long>(pipeline.durable_seq()));
  return 0;
}
