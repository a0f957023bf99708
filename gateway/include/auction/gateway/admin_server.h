// The admin interface's transport: HTTP/1.1 + JSON on its own port, bound to loopback by
// default, for auctionctl (tools/auctionctl) and scripts.
//
// Contract:
//   - Every request must carry `Authorization: Bearer <admin token>`; anything else is answered
//     401 and does nothing. The token is compared in constant time. Bidder tokens never work
//     here, and the admin token never works on the bidder port.
//   - Requests go to AdminApi. The engine commands it returns are submitted through the
//     CommandPort (the same sequenced, journaled path as bids) one at a time, in arrival order,
//     so an edit's read-modify-write never races another admin command; the response leaves once
//     the command is durable.
//   - Settlement inputs (DeferredSettlement) go to the SettlementPort at once (settlement
//     sequences them itself); its answer arrives on the settlement thread and is posted back to
//     this server's thread, which writes the response. Refused at once, or more than
//     max_waiting_commands in flight: 503 unavailable. An answer arriving after stop() is
//     dropped safely.
//   - Limits: connections, header and body size (413), time to send a request.
// Threading: answer() and refuse() from any thread (the journal's writer); start()/stop() from
// the owner. One IO thread of its own: admin traffic never competes with bidders' IO threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "auction/engine/event.h"
#include "auction/gateway/admin_api.h"
#include "auction/gateway/server.h"
#include "auction/gateway/settlement_port.h"

namespace auction::gateway {

struct AdminOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8081;                          // 0 = any free port (see AdminServer::port())
  std::string token;                                  // the admin bearer token; must not be empty
  std::size_t max_body_bytes = std::size_t{8} << 20;  // a catalogue of 10,000 lots fits
  std::size_t max_connections = 64;
  std::size_t max_waiting_commands = 256;  // queued behind the one in flight; then 503
  std::chrono::milliseconds request_timeout{30'000};
};

class AdminServer {
 public:
  // Origins of admin commands have this bit set; the bidder server's never do.
  static constexpr std::uint64_t kOriginBit = std::uint64_t{1} << 63;
  static bool owns(std::uint64_t origin) { return (origin & kOriginBit) != 0; }

  // `settlement` null: DeferredSettlement replies are answered 503 unavailable.
  AdminServer(AdminOptions options, AdminApi& api, CommandPort& commands,
              SettlementPort* settlement = nullptr);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  void start();  // throws when the address cannot be bound
  void stop();
  std::uint16_t port() const;

  // The durable outcome of the admin command submitted with `origin`.
  void answer(std::uint64_t origin, Seq seq, std::span<const Event> events);
  // It was never applied.
  void refuse(std::uint64_t origin);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace auction::gateway
