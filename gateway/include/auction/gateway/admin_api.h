// The auctioneers' admin API (v1): methods and paths with JSON bodies, apart from the transport
// (admin_server.h carries it over HTTP). docs/ADMIN_API.md lists every route.
//
// Contract:
//   - handle() answers reads at once, from the LotBoard (durable state only) and the backend.
//   - A request that changes lots becomes exactly one engine command (a catalogue is one
//     CreateLots: every lot or none). handle() returns it with a `finish` that turns the
//     command's durable outcome into the response; the transport submits the command through the
//     same sequenced, journaled pipeline as bids and calls finish() once it is durable (or with
//     `refused` when it was never applied).
//   - A money or order request (SPEC §6, §8) becomes exactly one settlement input, returned with
//     a `finish` that turns settlement's answer (given once the input is durable) into the
//     response. Balances, orders and the ledger audit are read from settlement's committed
//     state. Without a SettlementPort those routes answer 503 `unavailable`.
//   - Every input is checked before anything is submitted: ids, amounts (JSON integers 1..10^15
//     only: no fraction, exponent, sign or string), currencies, references, times, durations,
//     unknown fields. An error is {"error":{"code","message"[,"field"][,"lot"][,"index"]}} with
//     a matching HTTP status.
// Threading: handle() and finish() run on the admin server's thread; the board is thread-safe
// and the backend and the settlement port must be.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "auction/engine/event.h"
#include "auction/engine/status.h"
#include "auction/gateway/lot_board.h"
#include "auction/gateway/settlement_port.h"
#include "auction/settlement/input.h"

namespace auction::gateway {

struct UserInfo {
  UserId user;
  std::string role;  // "bidder" | "seller" | "admin"
  bool revoked = false;
};

// What the admin API needs beyond the board: accounts, the journal's digests, the clock.
class AdminBackend {
 public:
  virtual ~AdminBackend() = default;
  // A new user with a new token (Code::invalid_argument when the user exists).
  virtual Status add_user(const UserId& user, std::string_view role, std::string& token_out) = 0;
  // A new token for an existing user (Code::not_found otherwise); the old one stops working.
  virtual Status reissue_token(const UserId& user, UserInfo& info_out, std::string& token_out) = 0;
  // The token stops working and the user's live sessions are closed (Code::not_found).
  virtual Status revoke_user(const UserId& user) = 0;
  virtual std::vector<UserInfo> users() const = 0;
  // The journal's chain digest after record `seq`, hex, when the journal marked it (closes).
  virtual std::optional<std::string> journal_digest_hex(Seq seq) const = 0;
  virtual Seq durable_seq() const = 0;
  virtual TimeMs now_ms() const = 0;  // resolves `starts_in_ms`
  // A replicated shard's status as a JSON object (SPEC §11), or nothing for a lone server.
  virtual std::optional<std::string> shard_status_json() const { return std::nullopt; }
};

struct AdminRequest {
  std::string_view method;  // "GET", "POST", "PATCH", ...
  std::string_view target;  // path and optional query
  std::string_view body;
};

struct AdminResponse {
  unsigned status = 200;
  std::string body;  // JSON
};

// A command's durable outcome, for finish().
struct CommandResult {
  bool refused = false;  // never applied (journal full or failed, shutting down)
  Seq seq = 0;
  std::vector<Event> events;
};

struct DeferredCommand {
  CommandBody command;
  std::function<AdminResponse(const CommandResult&)> finish;
};

// A settlement input to submit; finish() gets settlement's answer once the input is durable
// (the transport answers 503 `unavailable` itself when the port refuses the input at once).
struct DeferredSettlement {
  settlement::InputBody input;
  std::function<AdminResponse(const settlement::Answer&)> finish;
};

using AdminReply = std::variant<AdminResponse, DeferredCommand, DeferredSettlement>;

class AdminApi {
 public:
  // `settlement` null: the money and order routes answer 503 `unavailable`.
  AdminApi(LotBoard& board, AdminBackend& backend, SettlementPort* settlement = nullptr)
      : board_(board), backend_(backend), settlement_(settlement) {}
  AdminReply handle(const AdminRequest& request);

  // The error body every failure uses.
  static AdminResponse error(unsigned status, std::string_view code, std::string_view message);

 private:
  AdminReply route(const AdminRequest& request, const std::vector<std::string_view>& path);
  AdminReply users_request(const AdminRequest& request, const std::vector<std::string_view>& path);
  AdminReply lots_request(const AdminRequest& request, const std::vector<std::string_view>& path);
  AdminReply lot_request(const AdminRequest& request, const LotId& lot, std::string_view action);
  // `dry_run`: every check the engine would make (all or nothing), answered without creating.
  AdminReply create_lots(std::string_view body, bool dry_run);
  AdminResponse dry_run_lots(const std::vector<LotConfig>& configs) const;
  AdminReply edit_lot(const LotId& lot, std::string_view body);
  AdminReply qualify(const LotId& lot, std::string_view body);
  AdminReply grant_priority(const LotId& lot, std::string_view body);
  AdminResponse confirmation(const LotId& lot) const;
  AdminResponse status() const;

  // Settlement (admin_settlement.cpp).
  AdminReply wallets_request(const AdminRequest& request,
                             const std::vector<std::string_view>& path);
  AdminReply credit(const UserId& user, std::string_view body);
  AdminResponse balances(const AdminRequest& request) const;
  AdminReply orders_request(const AdminRequest& request, const std::vector<std::string_view>& path);
  AdminResponse list_orders(const AdminRequest& request) const;
  AdminReply order_action(const LotId& order, std::string_view action, std::string_view body);
  AdminResponse ledger_check(const AdminRequest& request) const;

  LotBoard& board_;
  AdminBackend& backend_;
  SettlementPort* settlement_;
};

}  // namespace auction::gateway
