// Durations as people write them (SPEC §1): "1500ms", "30s", "5m", "2h", "1d", several in a row
// ("1h30m"), or "0". Shared by auctiond's configuration and auctionctl, so both take the same
// forms and the same limit (kMaxDurationMs, 366 days).
// Threading: a pure function.
#pragma once

#include <string_view>

#include "auction/engine/types.h"

namespace auction {

enum class DurationError { none, malformed, too_long };

// On success `out` holds the duration in ms.
DurationError parse_duration_ms(std::string_view text, DurationMs& out);

}  // namespace auction
