// auctiond's configuration: its flags, and the same keys in a TOML file (flags win).
// Threading: plain functions, called once at start-up.
#pragma once

#include <optional>
#include <string>

#include "auction/gateway/server.h"
#include "auction/settlement/settlement.h"
#include "cluster_node.h"

namespace auction {

struct Config {
  std::string data_dir = "auction-data";
  std::string listen = "127.0.0.1:8080";
  std::string admin_listen = "127.0.0.1:8081";  // loopback: the admin port is not for bidders
  std::string admin_token_file;                 // default: DATA_DIR/admin.token
  unsigned io_threads = 1;
  std::size_t journal_capacity_mib = 8192;
  std::size_t journal_headroom_mib = 16;  // bids are refused when less room than this is left
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
  std::string tls_cert, tls_key;  // both, or neither
  ClusterConfig cluster;          // replication (docs/REPLICATION.md); off without --nats
};

// Reads the command line and the --config file it names. Returns an exit code when auctiond
// should stop here: 0 after --help, 1 after a bad flag or file (the reason printed).
std::optional<int> parse_command_line(int argc, char** argv, Config& config);

// The settlement configuration from the options, or the reason it is invalid.
Status settlement_config(const Config& config, settlement::SettlementConfig& out,
                         DurationMs& webhook_tolerance_ms);

}  // namespace auction
