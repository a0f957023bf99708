// libFuzzer target: auctionctl's catalogue file parser (TOML → an all-or-nothing lot batch).
// Invariants: never crashes; a catalogue either loads with at least one lot and a request body,
// or is refused with one sentence that names the file.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "catalogue.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The parser reads a file, as auctionctl does: one per process, rewritten for each input.
  static const std::string path =
      "/tmp/auction-fuzz-catalogue-" + std::to_string(getpid()) + ".toml";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  auctionctl::CatalogueFile catalogue;
  const auto error = auctionctl::load_catalogue(path, catalogue);
  if (error) {
    if (error->find(path) != 0 || error->find('\n') != std::string::npos) std::abort();
  } else if (catalogue.lots.empty() || catalogue.body.empty()) {
    std::abort();
  }
  return 0;
}
