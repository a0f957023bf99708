// Polls a condition until it holds or a time limit passes (tests of threaded parts).
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace auction::testing {

inline bool wait_until(const std::function<bool()>& done,
                       std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace auction::testing
