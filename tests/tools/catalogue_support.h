// Catalogue files for auctionctl's end-to-end tests: writing them, finding lines, and checking
// that a refused catalogue names its file, line and field and creates nothing.
#pragma once

#include <algorithm>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "../persistence/temp_dir.h"
#include "auctionctl_support.h"

namespace auction::testing {

inline void write_file(const std::string& path, const std::string& content) {
  std::ofstream file(path, std::ios::binary);
  file << content;
  file.close();
  REQUIRE_MESSAGE(!file.fail(), ("cannot write " + path));
}

// The 1-based line of `content` on which `needle` starts.
inline int line_of(const std::string& content, const std::string& needle) {
  const auto at = content.find(needle);
  REQUIRE_MESSAGE(at != std::string::npos, needle);
  return 1 + static_cast<int>(std::count(content.begin(),
                                         content.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
}

inline int line_count(const std::string& content) {
  return static_cast<int>(std::count(content.begin(), content.end(), '\n'));
}

// ---------------------------------------------------------------------------------------------
// Catalogues.

// Sale-wide values (docs/AUCTIONCTL.md, "Catalogue files"); lot i starts at now+1h + i × 2m.
constexpr const char* kSale = R"(# sale-wide values
starts_at = "now+1h"
gap = "2m"
seller = "gallery"
currency = "EUR"
increment = 500
timed = "5m"
extension = "30s"
)";

// One [[lots]] table: its header, its id, then `lines`.
inline std::string lot_table(const std::string& id,
                             const std::string& lines = "title = \"A lot\"\nstart_price = 1000\n") {
  return "\n[[lots]]\nid = \"" + id + "\"\n" + lines;
}

// Where a refused catalogue's error must point: a line in [first_line, last_line] (one line for
// a bad value; the lot's table when the lot as a whole is at fault), naming `mention`.
struct Refusal {
  int exit_code;
  int first_line;
  int last_line;
  std::string mention;  // the field or lot at fault; empty: not checked
};

// Writes `toml` as `file`, imports it, and checks the refusal and that none of `lots` exist.
inline void check_catalogue_refused(const Auctiond& server, const TempDir& dir,
                                    const std::string& file, const std::string& toml,
                                    const Refusal& expected, const std::vector<std::string>& lots) {
  CAPTURE(file);
  write_file(dir.sub(file), toml);
  const Run run = ctl(server, {"lots", "import", dir.sub(file)});
  check_error(run, expected.exit_code);
  bool names_line = false;
  for (int line = expected.first_line; line <= expected.last_line; ++line) {
    names_line = names_line || contains(run.err, file + ":" + std::to_string(line) + ":");
  }
  CHECK_MESSAGE(names_line, (describe(run) + "\n  expected " + file + ":LINE: with LINE in [" +
                             std::to_string(expected.first_line) + ", " +
                             std::to_string(expected.last_line) + "]"));
  if (!expected.mention.empty()) {
    CHECK_MESSAGE(contains(run.err, expected.mention), describe(run));
  }
  const std::set<std::string> ids = lot_ids(server);
  for (const std::string& lot : lots) {
    CHECK_MESSAGE(ids.count(lot) == 0, (lot + " was created from a refused catalogue"));
  }
}

}  // namespace auction::testing
