// auctiond: the auction server. One process: engine, durable journal, snapshots, WebSocket and
// HTTP gateway, on an embedded LMDB data directory.
//
//   auctiond --data-dir DIR [--listen 127.0.0.1:8080] [--demo] [--config auctiond.toml] ...
//
// Start-up recovers the data directory (snapshot + journal), then serves. SIGINT/SIGTERM: stop
// accepting, answer or refuse what is in flight, flush the journal, exit 0.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <cstdio>

#include <sys/stat.h>

#include <fstream>

#include "auction/persistence/recovery.h"
#include "auction/persistence/settler.h"
#include "auction/persistence/snapshotter.h"
#include "config.h"
#include "demo_catalogue.h"
#include "page.h"
#include "wiring.h"

using namespace auction;
using namespace auction::persistence;

namespace {

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

// Set when a shard's node must start again as a follower (deposed, or its journal diverged).
bool restart_requested = false;

int run(int argc, char** argv) {
  Config config;
  if (const auto code = parse_command_line(argc, argv, config)) return *code;
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
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    return fail("--tls-cert and --tls-key go together");
  }
  server_options.tls_certificate_file = config.tls_cert;
  server_options.tls_private_key_file = config.tls_key;
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

  if (Status s = check_cluster_config(config.cluster); !s.is_ok()) return fail(s.message());
  if (config.cluster.enabled()) {
    std::string set_aside;
    if (Status s = set_aside_diverged(config.data_dir, set_aside); !s.is_ok()) {
      return fail("setting a diverged journal aside: " + s.message());
    }
    if (!set_aside.empty()) std::fprintf(stderr, "auctiond: [cluster] %s\n", set_aside.c_str());
    if (config.demo) return fail("--demo is for one node; tools/cluster.sh loads a shard's demo");
  }
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
  if (config.cluster.enabled()) {  // settlement inputs travel through the replicated journal
    wiring.settle_through_journal();
    settler_options.inputs_from_journal = true;
    settler_options.propose = [&wiring](settlement::InputBody body) {
      wiring.propose_settlement_input(std::move(body));
    };
  }
  Settler settler(*journal, snapshots.get(), *settlement_store, clock, engine.limits(),
                  settler_options, &wiring);
  if (Status s = settler.start(); !s.is_ok()) return fail("settlement: " + s.message());
  PipelineOptions pipeline_options;
  pipeline_options.journal_headroom_bytes = config.journal_headroom_mib << 20;
  pipeline_options.rebuild = [&](Engine& fresh) {
    RecoveryReport ignored;
    return recover(fresh, *journal, snapshots.get(), ignored);
  };
  // One node: this process sequences. A shard's node: the cluster node decides (cluster_node.h).
  std::optional<Pipeline> pipeline;
  std::optional<ClusterNode> node;
  if (config.cluster.enabled()) {
    node.emplace(config.cluster, config.data_dir, engine, *journal, clock, wiring,
                 pipeline_options);
  } else {
    pipeline.emplace(engine, *journal, clock, wiring, journal->chain().digest, pipeline_options);
  }
  gateway::StatusSource status;
  if (node) status.nodes_json = [&node] { return node->nodes_json(); };
  status.unhealthy_reason = [&]() -> std::string {
    if (std::string problem = wiring.durability_problem(); !problem.empty()) return problem;
    if (settler.stats().failed) return "settlement stopped: " + settler.last_error();
    if (node && !node->ready()) return "joining shard " + config.cluster.shard + " (NATS)";
    return {};
  };
  status.metrics_text = [&] {
    const SettlerStats settled = settler.stats();
    const JournalSpace space = journal->space();
    std::string text = "# TYPE auction_journal_durable_seq gauge\nauction_journal_durable_seq " +
                       std::to_string(wiring.durable_seq()) +
                       "\n# TYPE auction_journal_free_bytes gauge\nauction_journal_free_bytes " +
                       std::to_string(space.free_bytes()) +
                       "\n# TYPE auction_settlement_cursor gauge\nauction_settlement_cursor " +
                       std::to_string(settled.engine_cursor) +
                       "\n# TYPE auction_settlement_inputs_total counter\n"
                       "auction_settlement_inputs_total " +
                       std::to_string(settled.inputs) + "\n";
    if (pipeline) {
      text += "# TYPE auction_journal_commits_total counter\nauction_journal_commits_total " +
              std::to_string(pipeline->stats().batches) + "\n";
    }
    if (node) {
      const ShardView shard = node->view();
      text += "# TYPE auction_cluster_leader gauge\nauction_cluster_leader " +
              std::string(shard.role == "leader" ? "1" : "0") +
              "\n# TYPE auction_cluster_stream_seq gauge\nauction_cluster_stream_seq " +
              std::to_string(shard.stream_seq) + "\n";
    }
    return text;
  };
  gateway::Server server(server_options, board, wiring, wiring, status, &wiring);
  gateway::AdminApi admin_api(board, wiring, &wiring);
  gateway::AdminServer admin(admin_options, admin_api, wiring, &wiring);
  wiring.attach(pipeline ? &*pipeline : nullptr, &settler, &server, &admin);
  const bool fresh = engine.lots().empty();  // read before the core thread owns the engine
  if (pipeline) {
    pipeline->start(report.last_seq > 0);
    // A crash between a deposit hold and the bidder's qualification: qualify again (harmless if
    // the engine already has it).
    for (const auto& [user, lot] : settler.holds_to_qualify()) {
      pipeline->submit(QualifyBidder{lot, user, QualifySource::deposit_held}, 0);
    }
  }
  std::string serving = "--listen " + config.listen;
  try {
    server.start();
    serving = "--admin-listen " + config.admin_listen;
    admin.start();
  } catch (const std::exception& e) {
    if (pipeline) pipeline->stop();
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
    if (fresh && pipeline) {
      for (const LotConfig& lot : demo_catalogue(clock.now_ms())) {
        pipeline->submit(CreateLot{lot}, 0);
      }
      for (unsigned i = 0; i < config.demo_open_lots; ++i) {
        pipeline->submit(CreateLot{open_demo_lot(i, clock.now_ms())}, 0);
      }
      if (config.demo_sprint_ms > 0) {
        LotConfig sprint = open_demo_lot(0, clock.now_ms());
        sprint.id = *LotId::parse("sprint");
        sprint.title = *Title::parse("Sprint lot (short timers)");
        sprint.timed_ms = config.demo_sprint_ms;
        sprint.extension_ms = config.demo_sprint_ms;
        pipeline->submit(CreateLot{sprint}, 0);
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
      // Written under another name and renamed when whole: a load generator that waits for the
      // file never reads half of it (issuing 1,000 tokens takes a while on a busy machine).
      const std::string partial = config.demo_tokens_file + ".partial";
      std::FILE* file = std::fopen(partial.c_str(), "w");
      if (file == nullptr) return fail("cannot write " + partial);
      for (unsigned i = 0; i < config.demo_bidders; ++i) {
        const std::string name = "bidder" + std::to_string(i);
        std::string token;
        if (Status s = accounts->issue(*UserId::parse(name), Role::bidder, token); !s.is_ok()) {
          return fail(s.message());
        }
        std::fprintf(file, "%s %s\n", name.c_str(), token.c_str());
      }
      if (std::fclose(file) != 0 ||
          std::rename(partial.c_str(), config.demo_tokens_file.c_str()) != 0) {
        return fail("cannot write " + config.demo_tokens_file);
      }
      std::printf("auctiond: %u demo bidders' tokens in %s\n", config.demo_bidders,
                  config.demo_tokens_file.c_str());
    }
    {  // the demo lots' seller: lots made through auctionctl may name it too
      std::string token;
      if (Status s = accounts->issue(*UserId::parse("gallery"), Role::seller, token); !s.is_ok()) {
        return fail(s.message());
      }
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
  if (node) {
    std::printf("auctiond: node %s of shard %s (NATS %s)\n", config.cluster.node.c_str(),
                config.cluster.shard.c_str(), config.cluster.nats_urls.front().c_str());
    node->set_addresses(base, admin_url);
    wiring.report_shard_status([&node] { return node->shard_status_json(); });
    node->start();
  }
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  if (node && node->must_restart()) {
    std::printf("auctiond: restarting as a follower\n");
  } else {
    std::printf("auctiond: signal %d, shutting down\n", signal_number);
  }
  if (node) node->stop();          // a leader answers what is in flight and hands the lease over
  if (pipeline) pipeline->stop();  // everything queued is applied, journaled and answered
  settler.stop();                  // settles what was submitted and what the journal holds
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let answers reach the sockets
  server.stop();
  admin.stop();
  snapshotter.stop();
  std::printf("auctiond: stopped at seq %llu\n",
              static_cast<unsigned long long>(wiring.durable_seq()));
  if (node && !node->fatal().empty()) return fail(node->fatal());
  if (node && node->must_restart()) restart_requested = true;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int code = run(argc, argv);
  if (restart_requested) {
    // Start afresh as a follower. Asio does not mark its sockets close-on-exec: close every
    // descriptor but the standard three, or clients of the old run would hang on them.
    std::fflush(nullptr);
    close_range(3, ~0U, 0);
    execv("/proc/self/exe", argv);
    return fail(std::string("cannot restart: ") + std::strerror(errno));
  }
  return code;
}
