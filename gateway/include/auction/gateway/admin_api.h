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
//   - Every input is checked before anything is submitted: ids, amounts (JSON integers 1..10^15
//     only: no fraction, exponent, sign or string), times, durations, unknown fields. An error is
//     {"error":{"code","message"[,"field"][,"lot"][,"index"]}} with a matching HTTP status.
// Threading: handle() and finish() run on the admin server's thread; the board is thread-safe
// and the backend must be.
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

using AdminReply = std::variant<AdminResponse, DeferredCommand>;

class AdminApi {
 public:
  AdminApi(LotBoard& board, AdminBackend& backend) : board_(board), backend_(backend) {}
  AdminReply handle(const AdminRequest& request);

  // The error body every failure uses.
  static AdminResponse error(unsigned status, std::string_view code, std::string_view message);

 private:
  AdminReply route(const AdminRequest& request, const std::vector<std::string_view>& path);
  AdminReply users_request(const AdminRequest& request, const std::vector<std::string_view>& path);
  AdminReply lots_request(const AdminRequest& request, const std::vector<std::string_view>& path);
  AdminReply lot_request(const AdminRequest& request, const LotId& lot, std::string_view action);
  AdminReply create_lots(std::string_view body);
  AdminReply edit_lot(const LotId& lot, std::string_view body);
  AdminReply qualify(const LotId& lot, std::string_view body);
  AdminResponse confirmation(const LotId& lot) const;
  AdminResponse status() const;

  LotBoard& board_;
  AdminBackend& backend_;
};

}  // namespace auction::gateway
