#include "auction/gateway/lot_view.h"

namespace auction::gateway {

std::optional<AmountMinor> LotView::min_next_minor() const {
  if (bidding_over()) return std::nullopt;
  const AmountMinor next =
      price_minor == 0 ? config.start_price_minor : next_price(config, price_minor);
  return next > kMaxAmountMinor ? std::nullopt : std::optional<AmountMinor>(next);
}

std::string increments_json(const LotConfig& config) {
  std::string json = "[";
  for (const IncrementBand& band : config.increments) {
    if (json.size() > 1) json += ',';
    json +=
        '[' + std::to_string(band.from_minor) + ',' + std::to_string(band.increment_minor) + ']';
  }
  return json + ']';
}

std::string mask_user(std::string_view user) {
  if (user.size() <= 2) return std::string(user.size(), '*');
  return std::string(1, user.front()) + "***" + std::string(1, user.back());
}

}  // namespace auction::gateway
