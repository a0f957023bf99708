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
  std::string_view title, currency;
  if (!in.id(config.id, false) || !in.text(title) || !in.id(config.seller, false) ||
      !in.text(currency)) {
    return false;
  }
  const auto parsed_title = Title::parse(title);
  const auto parsed_currency = CurrencyCode::parse(currency);
  if (!parsed_title || !parsed_currency) return false;
  config.title = *parsed_title;
  config.currency = *parsed_currency;
  return in.integer(config.start_price_minor) && in.integer(config.increment_minor) &&
         in.integer(config.reserve_minor) && in.integer(config.deposit_minor) &&
         in.integer(config.starts_at_ms) && in.integer(config.timed_ms) &&
         in.integer(config.extension_ms) && in.integer(config.latest_close_at_ms) &&
         !validate_lot_config(config).has_value();
}

}  // namespace auction
