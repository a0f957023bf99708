#include "journal_files.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

namespace auction::persistence::journal_files {

namespace fs = std::filesystem;

Status io_error(const std::string& what) {
  const int err = errno;
  return Status::error(err == ENOSPC ? Status::Code::full : Status::Code::io_error,
                       what + ": " + std::strerror(err));
}

Status corruption(const std::string& what) {
  return Status::error(Status::Code::corruption, what);
}

Status write_all(int fd, std::string_view bytes, std::size_t offset, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return io_error(path + ": write");
    bytes.remove_prefix(static_cast<std::size_t>(n));
    offset += static_cast<std::size_t>(n);
  }
  return Status::ok();
}

Status sync_fd(int fd, const std::string& path) {
  while (::fdatasync(fd) != 0) {
    if (errno != EINTR) return io_error(path + ": fdatasync");
  }
  return Status::ok();
}

// Makes a new directory entry (a created or renamed file) durable.
Status sync_directory(const std::string& directory) {
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error(directory + ": open");
  const int rc = ::fsync(fd);
  const Status status = rc == 0 ? Status::ok() : io_error(directory + ": fsync");
  ::close(fd);
  return status;
}

// Writes `size_bytes` of zeros to `path` (created anew) and makes them durable: overwriting
// them later changes no file metadata, so the journal's fdatasync is a data write and nothing
// more.
Status create_zeroed(const std::string& path, std::size_t size_bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error(path + ": create");
  static const std::string zeros(kZeroFlushBytes, '\0');
  Status status = Status::ok();
  for (std::size_t at = 0; at < size_bytes && status.is_ok(); at += zeros.size()) {
    const std::size_t n = std::min(zeros.size(), size_bytes - at);
    status = write_all(fd, std::string_view(zeros).substr(0, n), at, path);
    if (status.is_ok()) status = sync_fd(fd, path);
  }
  ::close(fd);
  if (!status.is_ok()) ::unlink(path.c_str());
  return status;
}

// Offset just past the last non-zero 8-byte word in bytes[from, …), or `from` when only zeros
// follow. (Frames are 8-byte aligned and segment sizes are multiples of 8.)
std::size_t end_of_data(std::string_view bytes, std::size_t from) {
  std::size_t end = bytes.size() & ~std::size_t{7};
  while (end > from) {
    std::uint64_t word;
    std::memcpy(&word, bytes.data() + end - 8, 8);
    if (word != 0) break;
    end -= 8;
  }
  return std::max(end, from);
}

// Whether a batch committed intact follows `offset` (so what is at `offset` is damage, not the
// unfinished end): looks for a commit frame at any 8-byte boundary.
bool intact_batch_after(std::string_view bytes, std::size_t offset, std::size_t end) {
  for (std::size_t at = (offset + 8) & ~std::size_t{7}; at + jf::kCommitFrameBytes <= end;
       at += 8) {
    const std::optional<jf::Frame> frame = jf::read_frame(bytes, at);
    if (!frame || frame->kind != jf::FrameKind::commit) continue;
    const std::optional<jf::Commit> commit = jf::read_commit(*frame);
    if (commit && commit->batch_bytes <= at &&
        jf::batch_checksum(bytes.substr(at - commit->batch_bytes, commit->batch_bytes)) ==
            commit->batch_checksum) {
      return true;
    }
  }
  return false;
}

// The segment files of `directory` whose first seq is above `after`, by first seq.
std::vector<std::pair<Seq, std::string>> list_segments(const std::string& directory, Seq after,
                                                       std::error_code& ec) {
  std::vector<std::pair<Seq, std::string>> found;
  for (const fs::directory_entry& entry : fs::directory_iterator(directory, ec)) {
    const std::optional<Seq> first = jf::parse_segment_name(entry.path().filename().string());
    if (first && *first > after) found.emplace_back(*first, entry.path().string());
  }
  std::sort(found.begin(), found.end());
  return found;
}

Segment::~Segment() {
  if (base != nullptr) ::munmap(const_cast<char*>(base), size);
}

std::string Segment::name() const {
  return fs::path(path).filename().string();
}

Status Segment::map(const std::string& path, std::shared_ptr<Segment>& out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error(path + ": open");
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const Status s = io_error(path + ": stat");
    ::close(fd);
    return s;
  }
  const std::size_t size = static_cast<std::size_t>(st.st_size);
  void* base = size == 0 ? MAP_FAILED : ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (base == MAP_FAILED) return corruption(path + ": empty or unreadable segment");
  auto segment = std::make_shared<Segment>();
  segment->path = path;
  segment->base = static_cast<const char*>(base);
  segment->size = size;
  segment->index.resize(size / kIndexStrideBytes + 2);
  const std::optional<Seq> first = jf::read_segment_header(segment->bytes());
  if (!first) return corruption(path + ": not a journal segment (bad header)");
  segment->first_seq = *first;
  out = std::move(segment);
  return Status::ok();
}

SparePreparer::SparePreparer(std::string directory, std::size_t wanted_bytes)
    : path_(directory + "/" + std::string(kSpareName)), wanted_bytes_(wanted_bytes) {
  std::error_code ec;
  ready_ = fs::exists(path_, ec) && fs::file_size(path_, ec) == wanted_bytes_;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "spare-segment");
    run();
  });
}

SparePreparer::~SparePreparer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

bool SparePreparer::take(const std::string& target, std::size_t size_bytes,
                         std::size_t next_bytes) {
  std::lock_guard lock(mutex_);
  const bool taken =
      ready_ && wanted_bytes_ == size_bytes && ::rename(path_.c_str(), target.c_str()) == 0;
  if (taken || wanted_bytes_ != next_bytes) ready_ = false;
  wanted_bytes_ = next_bytes;
  wake_.notify_one();
  return taken;
}

void SparePreparer::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !ready_; });
    if (stopping_) return;
    const std::size_t size = wanted_bytes_;
    lock.unlock();
    // Written under another name and renamed once durable: a spare.tmp is always whole.
    const std::string partial = path_ + std::string(kPartialSuffix);
    const bool made =
        create_zeroed(partial, size).is_ok() && ::rename(partial.c_str(), path_.c_str()) == 0;
    lock.lock();
    if (made && size == wanted_bytes_) {
      ready_ = true;
    } else if (made) {
      continue;  // the wanted size changed meanwhile
    } else {
      // A full or failing disk: try again later; the writer makes its own segment meanwhile.
      wake_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; });
    }
  }
}

}  // namespace auction::persistence::journal_files
