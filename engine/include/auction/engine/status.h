// An error as a value: ok, or a code and a message for people.
//
// Contract: expected failures (bad input, a full disk, a corrupted file) are returned as Status;
// broken invariants are AUCTION_ASSERTs. Threading: a plain value.
#pragma once

#include <string>
#include <utility>

namespace auction {

class [[nodiscard]] Status {
 public:
  enum class Code { ok, invalid_argument, not_found, corruption, full, io_error, unavailable };

  static Status ok() { return Status{}; }
  static Status error(std::string message) {
    return Status{Code::invalid_argument, std::move(message)};
  }
  static Status error(Code code, std::string message) { return Status{code, std::move(message)}; }

  bool is_ok() const { return code_ == Code::ok; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Code code_ = Code::ok;
  std::string message_;
};

}  // namespace auction
