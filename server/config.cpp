#include "config.h"

#include <toml++/toml.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>

#include "auction/engine/duration_text.h"

namespace auction {
namespace {

// "a,b,c" → {"a", "b", "c"} (empty items dropped).
std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) items.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return items;
}

void apply_file(const std::string& path, Config& config) {
  const toml::table table = toml::parse_file(path);
  config.data_dir = table["data_dir"].value_or(config.data_dir);
  config.listen = table["listen"].value_or(config.listen);
  config.admin_listen = table["admin_listen"].value_or(config.admin_listen);
  config.admin_token_file = table["admin_token_file"].value_or(config.admin_token_file);
  config.io_threads = table["io_threads"].value_or(config.io_threads);
  config.journal_capacity_mib = table["journal_capacity_mib"].value_or(config.journal_capacity_mib);
  config.journal_headroom_mib = table["journal_headroom_mib"].value_or(config.journal_headroom_mib);
  config.snapshot_every = table["snapshot_every"].value_or(config.snapshot_every);
  auto& l = config.limits;
  l.max_frame_bytes = table["limits"]["max_frame_bytes"].value_or(l.max_frame_bytes);
  l.bids_per_second = table["limits"]["bids_per_second"].value_or(l.bids_per_second);
  l.bid_burst = table["limits"]["bid_burst"].value_or(l.bid_burst);
  l.messages_per_second = table["limits"]["messages_per_second"].value_or(l.messages_per_second);
  l.message_burst = table["limits"]["message_burst"].value_or(l.message_burst);
  l.max_outbound_bytes = table["limits"]["max_outbound_bytes"].value_or(l.max_outbound_bytes);
  l.resync_after_frames = table["limits"]["resync_after_frames"].value_or(l.resync_after_frames);
  l.max_connections = table["limits"]["max_connections"].value_or(l.max_connections);
  const auto settlement = table["settlement"];
  config.payment_window = settlement["payment_window"].value_or(config.payment_window);
  config.confirm_window = settlement["confirm_window"].value_or(config.confirm_window);
  config.fee_bps = settlement["fee_bps"].value_or(config.fee_bps);
  config.forfeit_to = settlement["forfeit_to"].value_or(config.forfeit_to);
  config.webhook_secret_file =
      settlement["webhook_secret_file"].value_or(config.webhook_secret_file);
  config.webhook_tolerance = settlement["webhook_tolerance"].value_or(config.webhook_tolerance);
  const auto cluster = table["cluster"];
  if (const auto* urls = cluster["nats"].as_array()) {
    config.cluster.nats_urls.clear();
    for (const auto& url : *urls)
      config.cluster.nats_urls.push_back(url.value_or(std::string{}));
  }
  config.cluster.shard = cluster["shard"].value_or(config.cluster.shard);
  config.cluster.node = cluster["node"].value_or(config.cluster.node);
  config.cluster.lease_ms = cluster["lease_ms"].value_or(config.cluster.lease_ms);
  config.cluster.commit_delay_us =
      cluster["commit_delay_us"].value_or(config.cluster.commit_delay_us);
}

}  // namespace

std::optional<int> parse_command_line(int argc, char** argv, Config& config) {
  CLI::App app{"auctiond: the real-time auction server (WebSocket bidders, durable journal)"};
  std::string config_file;
  std::int64_t handshake_ms = config.limits.handshake_timeout.count();
  std::int64_t not_reading_ms = config.limits.not_reading_timeout.count();
  std::int64_t fanout_ms = config.limits.fanout_interval.count();
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
  app.add_option("--journal-headroom-mib", config.journal_headroom_mib,
                 "room (capacity or disk) below which commands are refused until there is more")
      ->check(CLI::Range(1, 1024));
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
  app.add_option("--resync-after-frames", config.limits.resync_after_frames,
                 "unsent frames after which a subscriber gets a fresh snapshot, not the backlog")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}));
  app.add_option("--max-connections", config.limits.max_connections, "open connections");
  app.add_option("--abuse-rejections", config.limits.abuse_rejections,
                 "rate-limited bids in a row before the connection is closed (1008)");
  app.add_option("--not-reading-timeout-ms", not_reading_ms,
                 "a subscriber behind this long without catching up is closed (1008)")
      ->check(CLI::Range(std::int64_t{100}, std::int64_t{3'600'000}));
  app.add_option("--fanout-interval-ms", fanout_ms,
                 "while events come, each waits this long to leave with others (0: at once)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1'000}));
  app.add_option("--handshake-timeout-ms", handshake_ms, "time to complete a handshake")
      ->check(CLI::Range(std::int64_t{100}, std::int64_t{3'600'000}));
  app.add_option("--tls-cert", config.tls_cert, "PEM certificate chain: serve https/wss too")
      ->check(CLI::ExistingFile);
  app.add_option("--tls-key", config.tls_key, "PEM private key of --tls-cert")
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
  std::string nats_urls;
  app.add_option("--nats", nats_urls,
                 "replication: the NATS servers of the shard, comma-separated (nats://host:port)");
  app.add_option("--shard", config.cluster.shard, "replication: the shard's id, on every node");
  app.add_option("--node", config.cluster.node, "replication: this node's id in the shard");
  app.add_option("--lease-ms", config.cluster.lease_ms,
                 "replication: the leader's lease lifetime (the same on every node)");
  app.add_option("--commit-delay-us", config.cluster.commit_delay_us,
                 "replication: how long the leader waits for the bidders it just answered "
                 "before it publishes the next batch (group commit; 0 = never waits)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (!config_file.empty()) {
      apply_file(config_file, config);
      app.parse(argc, argv);  // flags override the file
    }
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "auctiond: %s: %s\n", config_file.c_str(), e.what());
    return 1;
  }
  if (!nats_urls.empty()) config.cluster.nats_urls = split_list(nats_urls);
  config.limits.handshake_timeout = std::chrono::milliseconds(handshake_ms);
  config.limits.not_reading_timeout = std::chrono::milliseconds(not_reading_ms);
  config.limits.fanout_interval = std::chrono::milliseconds(fanout_ms);
  config.limits.idle_timeout = std::chrono::milliseconds(idle_ms);
  return std::nullopt;
}

// The settlement configuration from the options, or the reason it is invalid.
Status settlement_config(const Config& config, settlement::SettlementConfig& out,
                         DurationMs& webhook_tolerance_ms) {
  const auto duration = [](const std::string& text, const char* option, DurationMs& value) {
    switch (parse_duration_ms(text, value)) {
      case DurationError::none:
        return Status::ok();
      case DurationError::too_long:
        return Status::error(std::string(option) + ": \"" + text + "\" is more than 366 days");
      case DurationError::malformed:
        break;
    }
    return Status::error(std::string(option) + ": bad duration \"" + text +
                         "\": a number and a unit, e.g. 1500ms, 30s, 5m, 2h, 1d");
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

}  // namespace auction
