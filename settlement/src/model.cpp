#include <array>

#include "auction/settlement/input.h"
#include "auction/settlement/model.h"

namespace auction::settlement {
namespace {

constexpr std::array<std::string_view, 6> kKindNames = {"wallet",  "hold", "escrow",
                                                        "payable", "fees", "world"};

std::string join(std::string_view kind, std::string_view a, std::string_view b = {}) {
  std::string out;
  out.reserve(kind.size() + a.size() + b.size() + 2);
  out.append(kind).append("/").append(a);
  if (!b.empty()) out.append("/").append(b);
  return out;
}

}  // namespace

std::string wallet_account(const UserId& user, CurrencyCode currency) {
  return join("wallet", user.view(), currency.view());
}
std::string hold_account(const UserId& user, const LotId& lot) {
  return join("hold", user.view(), lot.view());
}
// Both parts are ids, so neither holds a slash.
std::optional<std::pair<UserId, LotId>> parse_hold(std::string_view name) {
  if (!name.starts_with("hold/")) return std::nullopt;
  const std::string_view rest = name.substr(5);
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const auto user = UserId::parse(rest.substr(0, slash));
  const auto lot = LotId::parse(rest.substr(slash + 1));
  if (!user || !lot) return std::nullopt;
  return std::pair{*user, *lot};
}

std::string escrow_account(const LotId& lot) {
  return join("escrow", lot.view());
}
std::string payable_account(const UserId& user, CurrencyCode currency) {
  return join("payable", user.view(), currency.view());
}
std::string fees_account(CurrencyCode currency) {
  return join("fees", currency.view());
}
std::string world_account(CurrencyCode currency) {
  return join("world", currency.view());
}

std::optional<AccountKind> account_kind(std::string_view name) {
  const auto slash = name.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::string_view kind = name.substr(0, slash);
  for (std::size_t i = 0; i < kKindNames.size(); ++i) {
    if (kKindNames[i] == kind) return static_cast<AccountKind>(i);
  }
  return std::nullopt;
}

std::string_view account_kind_name(AccountKind kind) {
  return kKindNames[static_cast<std::size_t>(kind)];
}

std::string_view transfer_reason_name(TransferReason reason) {
  constexpr std::array<std::string_view, 9> kNames = {
      "credit", "deposit_hold", "deposit_release", "deposit_applied", "payment",
      "payout", "fee",          "forfeit",         "refund"};
  return kNames[static_cast<std::size_t>(reason)];
}

namespace {
constexpr std::array<std::string_view, 7> kStateNames = {
    "awaiting_payment", "paid", "shipped", "completed", "defaulted", "disputed", "refunded"};
}

std::string_view order_state_name(OrderState state) {
  return kStateNames[static_cast<std::size_t>(state)];
}

std::optional<OrderState> parse_order_state(std::string_view name) {
  for (std::size_t i = 0; i < kStateNames.size(); ++i) {
    if (kStateNames[i] == name) return static_cast<OrderState>(i);
  }
  return std::nullopt;
}

bool is_valid(const SettlementConfig& config) {
  return config.payment_window_ms >= 1 && config.payment_window_ms <= kMaxDurationMs &&
         config.confirm_window_ms >= 1 && config.confirm_window_ms <= kMaxDurationMs &&
         config.fee_bps <= kMaxFeeBps;
}

AmountMinor fee_of(AmountMinor amount_minor, std::uint32_t bps) {
  // Split so that no product exceeds 10^4 × 10^4 or 10^11 × 10^4: exact, no overflow.
  const AmountMinor whole = amount_minor / 10'000;
  const AmountMinor rest = amount_minor % 10'000;
  return whole * bps + rest * bps / 10'000;
}

std::string_view input_name(const InputBody& body) {
  constexpr std::array<std::string_view, 9> kNames = {
      "credit",  "register", "pay",  "ship",     "confirm_receipt",
      "dispute", "resolve",  "tick", "configure"};
  return kNames[body.index()];
}

std::string_view settle_error_name(SettleError error) {
  constexpr std::array<std::string_view, 14> kNames = {
      "ok",         "invalid_amount", "invalid_input",     "duplicate_reference", "unknown_lot",
      "lot_closed", "no_deposit",     "currency_mismatch", "insufficient_funds",  "unknown_order",
      "not_buyer",  "wrong_state",    "limit_reached",     "unavailable"};
  return kNames[static_cast<std::size_t>(error)];
}

}  // namespace auction::settlement
