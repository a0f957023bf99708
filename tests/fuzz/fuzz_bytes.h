// The fuzzers' reader of their input as a stream of choices: bytes past the end read as 0, so
// every input, however short, is a whole program. Threading: one per input.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace auction::testing {

class FuzzBytes {
 public:
  FuzzBytes(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool empty() const { return at_ >= size_; }
  std::uint8_t next() { return at_ < size_ ? data_[at_++] : 0; }
  // Up to `n` raw bytes (fewer at the end).
  std::string_view take(std::size_t n) {
    n = std::min(n, size_ - std::min(at_, size_));
    const std::string_view out(reinterpret_cast<const char*>(data_) + at_, n);
    at_ += n;
    return out;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t at_ = 0;
};

}  // namespace auction::testing
