#include "data_dir.h"

#include <filesystem>

namespace auction::replay {
namespace {

namespace fs = std::filesystem;

bool has_lmdb(const fs::path& dir) {
  std::error_code ec;
  return fs::exists(dir / "data.mdb", ec);
}

}  // namespace

Status DataDir::open(const std::string& path, DataDir& out) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    return Status::error(Status::Code::not_found, path + ": no such directory");
  }
  const fs::path root(path);
  if (!persistence::Journal::exists((root / "journal").string())) {
    return Status::error(Status::Code::not_found,
                         path + ": not an auction data directory (no journal segments)");
  }
  out.path = path;
  persistence::JournalOptions journal_options;
  journal_options.directory = (root / "journal").string();
  journal_options.read_only = true;
  if (Status s = persistence::Journal::open(journal_options, out.journal); !s.is_ok()) return s;
  if (has_lmdb(root / "snapshots")) {
    if (Status s =
            persistence::SnapshotStore::open((root / "snapshots").string(), true, out.snapshots);
        !s.is_ok()) {
      return s;
    }
  }
  if (has_lmdb(root / "settlement")) {
    if (Status s = persistence::SettlementStore::open((root / "settlement").string(), true,
                                                      out.settlement);
        !s.is_ok()) {
      return s;
    }
  }
  return Status::ok();
}

}  // namespace auction::replay
