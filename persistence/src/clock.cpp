#include <chrono>

#include "auction/persistence/clock.h"

namespace auction::persistence {

TimeMs SystemClock::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace auction::persistence
