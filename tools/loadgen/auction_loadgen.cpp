// auction-loadgen: many WebSocket bidders against auctiond over loopback.
//
//   auction-loadgen --tokens FILE [--target 127.0.0.1:8080] [--connections 1000] [--lots 1000]
//                   [--duration 10] [--rate 0 | BIDS_PER_SECOND] [--in-flight 1] [--ping] [--json]
//                   [--fanout-lot LOT [--in-turn]]
//
// Each connection logs in as one bidder of the tokens file ("user token" lines, e.g. from
// `auctiond --demo --demo-bidders N --demo-tokens-file FILE`) and bids on the lots open-0..N-1,
// each bid the next valid raise as far as it knows. Closed loop (--rate 0): each connection keeps
// --in-flight bids outstanding. Open loop (--rate R): bids are scheduled at R per second in all,
// and latency is measured from each bid's intended send time, so a stalled server cannot hide its
// stall (no coordinated omission). At the end it checks that every bid got exactly one answer.
// --ping sends pings instead of bids: auctiond answers them on its IO thread, without the core or
// the journal, so the figure is the WebSocket round trip alone (the reference for bench/peers).
//
// Frugal by design (the machine has 2 cores shared with the server): one thread, hand-rolled
// framing, every frame due on a connection written in one send, every complete frame in a read
// handled before the next read, and raw sockets in one edge-triggered epoll set (poller.h): one
// recv per arrival. IPv4 targets only (a.b.c.d:port).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "load.h"

using namespace auction::loadgen;

int main(int argc, char** argv) {
  Options options;
  CLI::App app{"auction-loadgen: WebSocket bidders against auctiond (loopback)"};
  app.add_option("--target", options.target, "auctiond IPv4 address:port");
  app.add_option("--tokens", options.tokens_file, "file of \"user token\" lines")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--connections", options.connections, "WebSocket connections")
      ->check(CLI::Range(1, 100'000));
  app.add_option("--lots", options.lots, "bid on lots open-0 .. open-(N-1)")
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--duration", options.duration_s, "seconds of measurement")
      ->check(CLI::Range(0.1, 3600.0));
  app.add_option("--rate", options.rate, "bids per second in all (open loop); 0 = closed loop");
  app.add_option("--in-flight", options.in_flight, "closed loop: bids outstanding per connection")
      ->check(CLI::Range(1, 256));
  app.add_flag("--idle", options.idle, "log in, then hold the connections idle for --duration");
  app.add_option("--fanout-lot", options.fanout_lot,
                 "fan-out: --connections subscribers on this lot, two bidders at --rate bids/s");
  app.add_flag("--in-turn", options.in_turn,
               "fan-out: a bid waits for the answer to the one before (bidders who watch)");
  app.add_flag("--ping", options.ping,
               "send pings, not bids: the gateway's round trip without the journal");
  app.add_flag("--json", options.json, "one JSON object instead of the table");
  CLI11_PARSE(app, argc, argv);
  std::vector<std::pair<std::string, std::string>> accounts;
  std::ifstream in(options.tokens_file);
  std::string user, token;
  while (in >> user >> token)
    accounts.emplace_back(user, token);
  if (accounts.empty()) {
    std::fprintf(stderr, "auction-loadgen: no accounts in %s\n", options.tokens_file.c_str());
    return 1;
  }
  Load load(options, std::move(accounts));
  return options.fanout_lot.empty() ? load.run() : load.run_fanout();
}
