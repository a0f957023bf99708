// Invariant assertions that stay on in every build type.
//
// Contract: AUCTION_ASSERT(cond) aborts the process with file, line and the failed expression when
// `cond` is false. It is for broken invariants (programming errors), never for bad input: bad input
// is answered with an error value. Threading: safe from any thread.
#pragma once

namespace auction::detail {
[[noreturn]] void assertion_failed(const char* expression, const char* file, int line) noexcept;
}  // namespace auction::detail

#define AUCTION_ASSERT(cond)                                          \
  do {                                                                \
    if (__builtin_expect(!(cond), 0)) {                               \
      ::auction::detail::assertion_failed(#cond, __FILE__, __LINE__); \
    }                                                                 \
  } while (false)
