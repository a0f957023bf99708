// Catalogue files (TOML): many lots with staggered starts, imported as one all-or-nothing
// command. The format is in docs/AUCTIONCTL.md.
//
// Contract: load_catalogue() reads and checks the whole file before anything is sent; an error
// names the file, line and field ("cat.toml:14: lot 2 \"vase\": increment: bad amount ...").
// locate() does the same for a refusal the server reports by lot position and field.
// Threading: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace auctionctl {

struct CatalogueFile {
  struct Lot {
    std::string id;
    std::uint32_t line = 0;                            // of its [[lots]] table
    std::map<std::string, std::uint32_t> field_lines;  // fields it sets itself
  };
  std::string path;
  std::string body;  // the admin API request: {"lots":[...]}
  std::vector<Lot> lots;
  std::map<std::string, std::uint32_t> default_lines;  // sale-wide fields

  std::string locate(std::optional<std::size_t> index, const std::string& api_field,
                     const std::string& message) const;
};

// Loads `path` into `out`; an error sentence (file, line, field) or none.
std::optional<std::string> load_catalogue(const std::string& path, CatalogueFile& out);

}  // namespace auctionctl
