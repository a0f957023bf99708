// What one durable write costs on this disk, by how the file is prepared and flushed: the
// measurements behind the journal's segment files (docs/DURABILITY.md, bench/RESULTS.md issue 8).
// Each benchmark writes 4 KiB blocks one after another in a file in DIR (default /tmp) and
// makes each durable before the next.
//   build/release/bench/flush_bench [--benchmark_repetitions=3]   (AUCTION_FLUSH_DIR=DIR)
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr std::size_t kBlockBytes = 4096;
constexpr std::size_t kFileBytes = std::size_t{64} << 20;

enum class Prepare { none, fallocate, zeros };

std::string file_path() {
  const char* dir = std::getenv("AUCTION_FLUSH_DIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/auction-flush-bench-" +
         std::to_string(::getpid());
}

// A file prepared as asked; the caller closes and unlinks it.
int prepared_file(const std::string& path, Prepare prepare, int extra_flags) {
  ::unlink(path.c_str());
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (prepare == Prepare::fallocate && ::fallocate(fd, 0, 0, kFileBytes) != 0) std::abort();
  if (prepare == Prepare::zeros) {
    const std::string zeros(std::size_t{1} << 20, '\0');
    for (std::size_t at = 0; at < kFileBytes; at += zeros.size())
      if (::pwrite(fd, zeros.data(), zeros.size(), static_cast<off_t>(at)) < 0) std::abort();
    ::fsync(fd);
  }
  if (extra_flags != 0) {
    ::close(fd);
    fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | extra_flags);
  }
  if (fd < 0) std::abort();
  return fd;
}

// Writes blocks at offsets `first`, `first + stride`, … and flushes each (unless O_DSYNC does).
void write_blocks(benchmark::State& state, Prepare prepare, int extra_flags) {
  const std::string path = file_path();
  const int fd = prepared_file(path, prepare, extra_flags);
  void* block = nullptr;
  if (::posix_memalign(&block, kBlockBytes, kBlockBytes) != 0) std::abort();
  std::memset(block, 'x', kBlockBytes);
  std::size_t offset = 0;
  for (auto _ : state) {
    if (offset + kBlockBytes > kFileBytes) offset = 0;
    if (::pwrite(fd, block, kBlockBytes, static_cast<off_t>(offset)) < 0) std::abort();
    if ((extra_flags & O_DSYNC) == 0) ::fdatasync(fd);
    offset += kBlockBytes;
  }
  state.SetItemsProcessed(state.iterations());
  std::free(block);
  ::close(fd);
  ::unlink(path.c_str());
}

void BM_AppendFdatasync(benchmark::State& state) {
  write_blocks(state, Prepare::none, 0);
}
void BM_FallocatedFdatasync(benchmark::State& state) {
  write_blocks(state, Prepare::fallocate, 0);
}
void BM_ZeroFilledFdatasync(benchmark::State& state) {
  write_blocks(state, Prepare::zeros, 0);
}
void BM_ZeroFilledODsync(benchmark::State& state) {
  write_blocks(state, Prepare::zeros, O_DSYNC);
}
void BM_ZeroFilledODirectODsync(benchmark::State& state) {
  write_blocks(state, Prepare::zeros, O_DIRECT | O_DSYNC);
}

// Two writers flushing the same zero-filled file at once: would overlapping commits help?
void BM_ZeroFilledTwoWriters(benchmark::State& state) {
  const std::string path = file_path();
  const int fd = prepared_file(path, Prepare::zeros, 0);
  const std::string block(kBlockBytes, 'x');
  constexpr int kFlushesEach = 1'000;
  for (auto _ : state) {
    std::vector<std::thread> writers;
    for (int w = 0; w < 2; ++w) {
      writers.emplace_back([&, w] {
        for (int i = 0; i < kFlushesEach; ++i) {
          const auto offset = static_cast<off_t>((2 * i + w) * kBlockBytes % kFileBytes);
          if (::pwrite(fd, block.data(), block.size(), offset) < 0) std::abort();
          ::fdatasync(fd);
        }
      });
    }
    for (std::thread& t : writers)
      t.join();
  }
  state.SetItemsProcessed(state.iterations() * 2 * kFlushesEach);
  ::close(fd);
  ::unlink(path.c_str());
}

}  // namespace

BENCHMARK(BM_AppendFdatasync)->UseRealTime()->MinTime(1);
BENCHMARK(BM_FallocatedFdatasync)->UseRealTime()->MinTime(1);
BENCHMARK(BM_ZeroFilledFdatasync)->UseRealTime()->MinTime(1);
BENCHMARK(BM_ZeroFilledODsync)->UseRealTime()->MinTime(1);
BENCHMARK(BM_ZeroFilledODirectODsync)->UseRealTime()->MinTime(1);
BENCHMARK(BM_ZeroFilledTwoWriters)->UseRealTime()->Unit(benchmark::kMillisecond)->Iterations(3);

BENCHMARK_MAIN();
