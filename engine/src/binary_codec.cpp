#include "auction/engine/binary_codec.h"

namespace auction {

void encode_lot_config(ByteWriter& out, const LotConfig& config) {
  out.text(config.id.view());
  out.text(config.title.view());
  out.text(config.seller.view());
  out.text(config.currency.view());
  out.integer(config.start_price_minor);
  out.integer(config.increment_minor);
  out.integer(config.reserve_minor);
  out.integer(config.deposit_minor);
  out.integer(config.starts_at_ms);
  out.integer(config.timed_ms);
  out.integer(config.extension_ms);
  out.integer(config.latest_close_at_ms);
}

bool decode_lot_config(ByteReader& in, LotConfig& config) {
  // Any configuration a command can carry decodes, valid or not: commands that the engine
  // refused are journaled too. Callers that need a valid one (snapshots) validate after.
  std::string_view title, currency;
  if (!in.id(config.id, true) || !in.text(title) || !in.id(config.seller, true) ||
      !in.text(currency)) {
    return false;
  }
  const auto parsed_title = Title::parse(title);
  if (!parsed_title) return false;
  config.title = *parsed_title;
  if (currency.empty()) {
    config.currency = CurrencyCode{};
  } else if (const auto parsed = CurrencyCode::parse(currency)) {
    config.currency = *parsed;
  } else {
    return false;
  }
  return in.integer(config.start_price_minor) && in.integer(config.increment_minor) &&
         in.integer(config.reserve_minor) && in.integer(config.deposit_minor) &&
         in.integer(config.starts_at_ms) && in.integer(config.timed_ms) &&
         in.integer(config.extension_ms) && in.integer(config.latest_close_at_ms);
}

}  // namespace auction
