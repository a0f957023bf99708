#include "auction/engine/assert.h"

#include <cstdio>
#include <cstdlib>

namespace auction::detail {

void assertion_failed(const char* expression, const char* file, int line) noexcept {
  std::fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, expression);
  std::fflush(stderr);
  std::abort();
}

}  // namespace auction::detail
