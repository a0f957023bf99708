// The journal's files (journal.h): the system calls it makes, durably; a segment file mapped
// for readers, with its sparse index; the helper thread that zero-fills the next segment ahead.
// Private to persistence/src: only journal.cpp uses them.
//
// Contract: errors are Status values naming the file and errno's text (ENOSPC is Code::full),
// never exceptions.
// Threading: the functions are thread-safe; Segment as documented on it; a SparePreparer's
// take() from one thread (the journal's writer).
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "auction/engine/assert.h"
#include "auction/engine/status.h"
#include "journal_format.h"

namespace auction::persistence::journal_files {

namespace jf = journal_format;

inline constexpr std::string_view kSpareName = "spare.tmp";
inline constexpr std::string_view kPartialSuffix = ".partial";
inline constexpr std::string_view kNextName = "next.tmp";  // a segment being started
inline constexpr std::string_view kLockName = "LOCK";
// One sparse index entry per this many segment bytes: a scan from any seq walks at most this far.
inline constexpr std::size_t kIndexStrideBytes = 64 << 10;
// Zero-filling a spare flushes every this many bytes, so it never floods the disk queue that the
// journal's own fdatasyncs wait in.
inline constexpr std::size_t kZeroFlushBytes = 1 << 20;
inline constexpr std::size_t kFirstSegmentBytes = 4 << 20;

// Errors of a system call, with errno's text (ENOSPC is Code::full).
Status io_error(const std::string& what);
Status corruption(const std::string& what);
// pwrite of all of `bytes` at `offset`; fdatasync; fsync of a directory (a new entry durable).
Status write_all(int fd, std::string_view bytes, std::size_t offset, const std::string& path);
Status sync_fd(int fd, const std::string& path);
Status sync_directory(const std::string& directory);
// Writes `size_bytes` of zeros to `path` (created anew) and makes them durable.
Status create_zeroed(const std::string& path, std::size_t size_bytes);
// Offset just past the last non-zero 8-byte word in bytes[from, …), or `from` when only zeros
// follow.
std::size_t end_of_data(std::string_view bytes, std::size_t from);
// Whether a batch committed intact follows `offset` (so what is at `offset` is damage, not the
// unfinished end).
bool intact_batch_after(std::string_view bytes, std::size_t offset, std::size_t end);
// The segment files of `directory` whose first seq is above `after`, by first seq.
std::vector<std::pair<Seq, std::string>> list_segments(const std::string& directory, Seq after,
                                                       std::error_code& ec);

// The sparse index of a segment: where the batch holding a seq starts, within one stride.
struct IndexEntry {
  Seq first_seq = 0;
  std::size_t offset = 0;
};

// One segment file, mapped read-only for readers. Readers see bytes before `end` only; the
// writer moves `end` after each fdatasync. The index never reallocates (readers read it without
// a lock): its capacity covers one entry per stride of the file.
struct Segment {
  Seq first_seq = 0;
  std::string path;
  const char* base = nullptr;
  std::size_t size = 0;
  std::atomic<std::size_t> end{jf::kSegmentHeaderBytes};
  std::vector<IndexEntry> index;
  std::atomic<std::size_t> index_count{0};
  std::size_t next_index_offset = 0;  // writer (or refresher) only

  ~Segment();  // unmaps
  std::string_view bytes() const { return {base, size}; }
  std::string name() const;  // the file's name, without its directory

  // Records that a batch of seqs from `first_seq` starts at `offset`. One thread at a time.
  void index_batch(Seq batch_first_seq, std::size_t offset) {
    if (offset < next_index_offset) return;
    const std::size_t count = index_count.load(std::memory_order_relaxed);
    AUCTION_ASSERT(count < index.size());
    index[count] = IndexEntry{batch_first_seq, offset};
    index_count.store(count + 1, std::memory_order_release);
    next_index_offset = offset + kIndexStrideBytes;
  }

  // Where a scan for `seq` starts walking.
  std::size_t start_offset(Seq seq) const {
    const std::size_t count = index_count.load(std::memory_order_acquire);
    const auto begin = index.begin(), last = index.begin() + static_cast<std::ptrdiff_t>(count);
    const auto after = std::upper_bound(begin, last, seq,
                                        [](Seq s, const IndexEntry& e) { return s < e.first_seq; });
    return after == begin ? jf::kSegmentHeaderBytes : std::prev(after)->offset;
  }

  // Maps the segment file at `path` read-only and reads its header.
  static Status map(const std::string& path, std::shared_ptr<Segment>& out);
};

// Keeps one zero-filled spare segment of the wanted size ready, on its own thread, so a full
// segment is replaced without the writer waiting for 64 MiB of zeros.
class SparePreparer {
 public:
  SparePreparer(std::string directory, std::size_t wanted_bytes);
  ~SparePreparer();
  SparePreparer(const SparePreparer&) = delete;
  SparePreparer& operator=(const SparePreparer&) = delete;

  // Renames the spare to `target` (a private name) if one of `size_bytes` is ready; false if the
  // caller must make its own. The next spare will have `next_bytes`.
  bool take(const std::string& target, std::size_t size_bytes, std::size_t next_bytes);

 private:
  void run();

  const std::string path_;
  std::size_t wanted_bytes_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool ready_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace auction::persistence::journal_files
