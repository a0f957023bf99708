// Private to the admin API: the lot JSON and the checks its lot routes share
// (admin_lots.cpp, admin_api.cpp).
// Threading: plain functions over the caller's values.
#pragma once

#include <string_view>
#include <vector>

#include "admin_checks.h"
#include "auction/gateway/admin_api.h"
#include "auction/gateway/json_writer.h"
#include "auction/gateway/lot_board.h"

namespace auction::gateway::admin {

// The engine's refusal of an admin command, if it refused.
std::optional<Problem> refusal(const CommandResult& result);
// A lot as the admin API shows it; `recent_bids`, when given, are listed too.
void write_lot(JsonWriter& w, const LotView& v, const std::vector<RecentBid>* recent_bids);
AdminResponse lot_response(const LotBoard& board, const LotId& lot, unsigned status = 200);
// A 422 naming `field` unless `user` is an account with `role` (a lot's seller, a priority
// purchaser).
Check role_problem(const AdminBackend& backend, const UserId& user, std::string_view role,
                   std::string_view field);

}  // namespace auction::gateway::admin
