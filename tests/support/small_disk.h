// A small file system for tests of a full disk: a tmpfs of a few MiB mounted by the test (which
// runs as root, as CI does) in a temporary folder, unmounted when the test ends.
#pragma once

#include <doctest/doctest.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "../persistence/temp_dir.h"

namespace auction::testing {

// A tmpfs of `mib` MiB, mounted for the test's life.
class SmallDisk {
 public:
  explicit SmallDisk(int mib) {
    path = dir_.sub("disk");
    std::filesystem::create_directories(path);
    const std::string options = "size=" + std::to_string(mib) + "m";
    mounted_ = ::mount("tmpfs", path.c_str(), "tmpfs", 0, options.c_str()) == 0;
    REQUIRE_MESSAGE(mounted_, "mounting a tmpfs (the test runs as root): " << std::strerror(errno));
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(path.c_str(), MNT_DETACH);
  }
  // Fills the disk with one file until it takes no more.
  void fill() {
    std::ofstream out(path + "/filler", std::ios::binary);
    const std::string block(64 * 1024, 'x');
    while (out.write(block.data(), static_cast<std::streamsize>(block.size())) && out.flush()) {
    }
  }
  void free_filler() { std::filesystem::remove(path + "/filler"); }
  std::string path;

 private:
  TempDir dir_;
  bool mounted_ = false;
};

}  // namespace auction::testing
