// What auctionctl prints: aligned tables for people, JSON for scripts.
//
// Contract: print_json() re-emits the server's JSON indented, and beside every time field
// `X_ms` (Unix epoch ms) adds `X` as ISO 8601 UTC; durations (`timed_ms`, `extension_ms`) and
// amounts are left as they are. Table pads columns by characters, not bytes (titles are UTF-8).
// Threading: one printer per thread.
#pragma once

#include <simdjson.h>

#include <string>
#include <vector>

namespace auctionctl {

void print_json(simdjson::dom::element root);

class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

// "key   value" lines, keys padded to one width.
void print_fields(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace auctionctl
