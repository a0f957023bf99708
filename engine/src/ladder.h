// Private: the price ladder of SPEC §4.1–4.2 in closed form. The ladder from a rung `base` is
// base, next(base), next(next(base)), …; within one band of the increment table its rungs are
// evenly spaced, so reach() steps at most once per band (and not at all without a table),
// whatever the distance: a maximum of 10^15 with an increment of 1 costs what any bid costs.
#pragma once

#include "auction/engine/lot_config.h"

namespace auction::detail {

// The highest rung of the ladder from `base_minor` that is ≤ `limit_minor` (base ≤ limit).
inline AmountMinor reach(const LotConfig& config, AmountMinor base_minor, AmountMinor limit_minor) {
  const auto& bands = config.increments;
  if (bands.empty()) {
    const AmountMinor step = config.increment_minor;
    return base_minor + (limit_minor - base_minor) / step * step;
  }
  std::size_t band = bands.size() - 1;
  while (bands[band].from_minor > base_minor)
    --band;
  AmountMinor rung = base_minor;
  for (;;) {
    const AmountMinor step = bands[band].increment_minor;
    const bool last_band = band + 1 == bands.size();
    if (last_band || limit_minor < bands[band + 1].from_minor) {
      return rung + (limit_minor - rung) / step * step;
    }
    // The band's last rung, and the first one at or past the next band's start.
    const AmountMinor last = rung + (bands[band + 1].from_minor - 1 - rung) / step * step;
    const AmountMinor beyond = last + step;
    if (beyond > limit_minor) return last;
    rung = beyond;
    while (band + 1 < bands.size() && bands[band + 1].from_minor <= rung)
      ++band;
  }
}

// The lowest rung of the ladder from `base_minor` that is ≥ `floor_minor` (base ≤ floor).
inline AmountMinor lowest_rung_from(const LotConfig& config, AmountMinor base_minor,
                                    AmountMinor floor_minor) {
  const AmountMinor below = reach(config, base_minor, floor_minor);
  return below == floor_minor ? below : next_price(config, below);
}

}  // namespace auction::detail
