#include "auction/persistence/journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <vector>

#include "journal_files.h"
#include "journal_format.h"

namespace auction::persistence {

namespace fs = std::filesystem;
using namespace journal_files;  // the journal is built of its files (and jf, journal_format)

struct Journal::State {
  std::string directory;
  bool read_only = false;
  std::size_t segment_bytes = 0;
  std::atomic<std::size_t> capacity_bytes{0};
  std::size_t unfinished_bytes = 0;

  // Shared with readers, under `mutex`.
  mutable std::mutex mutex;
  std::vector<std::shared_ptr<Segment>> segments;
  ChainPoint last;  // the last committed batch (durable, in the writer's process)
  std::map<Seq, Digest256> marks;
  std::size_t used_bytes = 0;

  // Writer thread only.
  std::string staged;  // frames of the batch written but not yet synced
  Seq staged_first_seq = 0;
  Seq staged_last_seq = 0;
  Digest256 staged_chain{};
  std::vector<ChainPoint> staged_marks;
  int write_fd = -1;
  int lock_fd = -1;              // holds the writer's lock: one writing process per journal
  std::size_t write_offset = 0;  // in the last segment
  std::unique_ptr<SparePreparer> spare;

  ~State() {
    spare.reset();
    if (write_fd >= 0) ::close(write_fd);
    if (lock_fd >= 0) ::close(lock_fd);
  }

  Status add_segments(bool deep);
  void walk_batches(Segment& segment);
  Status walk(Segment& segment, bool last_segment, bool deep);
  Status set_aside_unfinished(Segment& segment, std::size_t from_offset);
  Status refresh();
  Status lock();
  Status roll_over(std::size_t batch_bytes);
  // Segments start small and double up to segment_bytes: a journal that stays small (a test, a
  // demo) does not zero-fill 64 MiB files.
  std::size_t next_segment_bytes() const {
    const std::size_t first = std::min(segment_bytes, kFirstSegmentBytes);
    return segments.empty() ? first : std::clamp(2 * segments.back()->size, first, segment_bytes);
  }
  Status open_for_append();
};

// Walks `segment` from its `end` over every intact batch, recording them; stops at the first
// batch that is not intact. Caller holds `mutex` (or is open()).
void Journal::State::walk_batches(Segment& segment) {
  const std::string_view bytes = segment.bytes();
  std::size_t offset = segment.end.load(std::memory_order_relaxed);
  std::size_t batch_begin = offset;
  Seq batch_first = 0;
  Seq record_seq = last.seq;  // records ascend across batches
  std::vector<ChainPoint> batch_marks;
  while (const std::optional<jf::Frame> frame = jf::read_frame(bytes, offset)) {
    if (batch_first == 0) batch_first = frame->seq;
    if (frame->kind == jf::FrameKind::record) {
      if (frame->seq <= record_seq) return;  // not intact
      record_seq = frame->seq;
    }
    if (const std::optional<Digest256> mark = jf::read_mark(*frame)) {
      batch_marks.push_back(ChainPoint{frame->seq, *mark});
    }
    const std::optional<jf::Commit> commit = jf::read_commit(*frame);
    offset += frame->bytes;
    if (!commit) continue;
    const std::string_view batch = bytes.substr(batch_begin, offset - frame->bytes - batch_begin);
    if (commit->batch_bytes != batch.size() || commit->first_seq != batch_first ||
        commit->last_seq != record_seq || batch.empty() ||
        jf::batch_checksum(batch) != commit->batch_checksum) {
      return;  // not intact
    }
    segment.index_batch(commit->first_seq, batch_begin);
    for (const ChainPoint& m : batch_marks)
      marks[m.seq] = m.digest;
    batch_marks.clear();
    last = ChainPoint{commit->last_seq, commit->chain_after};
    used_bytes += offset - batch_begin;
    batch_begin = offset;
    batch_first = 0;
    segment.end.store(offset, std::memory_order_release);
  }
}

// walk_batches(), then (`deep`, open() only) tells damage from an unfinished end by what follows.
Status Journal::State::walk(Segment& segment, bool last_segment, bool deep) {
  for (bool again = false;; again = true) {
    const std::size_t start = segment.end.load(std::memory_order_relaxed);
    walk_batches(segment);
    const std::size_t end = segment.end.load(std::memory_order_relaxed);
    if (!deep) return Status::ok();
    const std::string_view bytes = segment.bytes();
    const std::size_t data_end = end_of_data(bytes, end);
    if (data_end == end) return Status::ok();
    // The last segment may end in a batch cut short by a crash: not damage. Unless an intact
    // batch follows it; but beside a live writer that may be the batch we stopped at, finished
    // meanwhile: walk again while that makes progress.
    if (last_segment && !intact_batch_after(bytes, end, data_end)) return Status::ok();
    if (!last_segment || (again && end == start)) {
      return corruption("journal " + segment.name() + " offset " + std::to_string(end) +
                        ": damaged batch after seq " + std::to_string(last.seq) +
                        " (intact data follows it)");
    }
  }
}

// Keeps the bytes of a batch that a crash cut short in unfinished-<seq>-<offset>.bin, then zeroes
// them so the next batch is written over zeros.
Status Journal::State::set_aside_unfinished(Segment& segment, std::size_t from_offset) {
  const std::size_t end = end_of_data(segment.bytes(), from_offset);
  if (end == from_offset) return Status::ok();
  const std::string_view tail = segment.bytes().substr(from_offset, end - from_offset);
  const std::string keep = directory + "/unfinished-" + std::to_string(last.seq + 1) + "-" +
                           std::to_string(from_offset) + ".bin";
  const int keep_fd = ::open(keep.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (keep_fd < 0) return io_error(keep + ": create");
  Status status = write_all(keep_fd, tail, 0, keep);
  if (status.is_ok()) status = sync_fd(keep_fd, keep);
  ::close(keep_fd);
  if (!status.is_ok()) return status;
  const std::string zeros(tail.size(), '\0');
  if (Status s = write_all(write_fd, zeros, from_offset, segment.path); !s.is_ok()) return s;
  if (Status s = sync_fd(write_fd, segment.path); !s.is_ok()) return s;
  unfinished_bytes = tail.size();
  return sync_directory(directory);
}

// Maps the segments not known yet and walks them (`deep`: open() only, see walk()). Caller holds
// `mutex` (or is open()).
Status Journal::State::add_segments(bool deep) {
  std::error_code ec;
  const Seq known = segments.empty() ? 0 : segments.back()->first_seq;
  const std::vector<std::pair<Seq, std::string>> found = list_segments(directory, known, ec);
  if (ec) return Status::error(Status::Code::io_error, directory + ": " + ec.message());
  // Segments are created after the previous one's last batch was written: walk it again first.
  if (!segments.empty()) {
    if (Status s = walk(*segments.back(), found.empty(), deep); !s.is_ok()) return s;
  }
  for (std::size_t i = 0; i < found.size(); ++i) {
    std::shared_ptr<Segment> segment;
    if (Status s = Segment::map(found[i].second, segment); !s.is_ok()) return s;
    if (segment->first_seq != found[i].first) {
      return corruption(found[i].second + ": header names first seq " +
                        std::to_string(segment->first_seq));
    }
    segments.push_back(segment);
    if (Status s = walk(*segment, i + 1 == found.size(), deep); !s.is_ok()) return s;
  }
  return Status::ok();
}

// A read-only journal picks up what another process committed since the last read.
Status Journal::State::refresh() {
  if (!read_only) return Status::ok();
  std::lock_guard lock(mutex);
  return add_segments(false);
}

// Takes the journal's write lock (released when the process ends, however it ends).
Status Journal::State::lock() {
  const std::string path = directory + "/" + std::string(kLockName);
  lock_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0) return io_error(path + ": open");
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    return Status::error(Status::Code::unavailable,
                         directory + ": another process has this journal open for writing");
  }
  return Status::ok();
}

// Opens the last segment for writing at the end of its last intact batch.
Status Journal::State::open_for_append() {
  if (segments.empty()) {  // a new journal exists (for readers) from its first open
    staged_first_seq = 1;
    return roll_over(0);
  }
  Segment& segment = *segments.back();
  write_fd = ::open(segment.path.c_str(), O_WRONLY | O_CLOEXEC);
  if (write_fd < 0) return io_error(segment.path + ": open for writing");
  write_offset = segment.end.load();
  return set_aside_unfinished(segment, write_offset);
}

// Starts a new segment for a batch of `batch_bytes` whose first seq is staged_first_seq (a spare
// when it fits, else one of its own).
Status Journal::State::roll_over(std::size_t batch_bytes) {
  const Seq first = staged_first_seq;
  // Made under a private name and renamed once its header is durable: a segment file always has
  // its header.
  const std::string next = directory + "/" + std::string(kNextName);
  const std::string path = directory + "/" + jf::segment_name(first);
  const std::size_t needed = jf::kSegmentHeaderBytes + batch_bytes;
  const std::size_t planned = next_segment_bytes();
  const std::size_t size =
      needed <= planned ? planned : (needed + kZeroFlushBytes - 1) & ~(kZeroFlushBytes - 1);
  const std::size_t after = std::min(segment_bytes, 2 * size);
  if (spare == nullptr || !spare->take(next, size, after)) {
    if (Status s = create_zeroed(next, size); !s.is_ok()) return s;
  }
  const int fd = ::open(next.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return io_error(next + ": open for writing");
  std::string header;
  jf::append_segment_header(first, header);
  Status status = write_all(fd, header, 0, next);
  if (status.is_ok()) status = sync_fd(fd, next);
  if (status.is_ok() && ::rename(next.c_str(), path.c_str()) != 0) status = io_error(path);
  if (status.is_ok()) status = sync_directory(directory);
  std::shared_ptr<Segment> segment;
  if (status.is_ok()) status = Segment::map(path, segment);
  if (!status.is_ok()) {
    ::close(fd);
    return status;
  }
  if (write_fd >= 0) ::close(write_fd);
  write_fd = fd;
  write_offset = jf::kSegmentHeaderBytes;
  std::lock_guard lock(mutex);
  segments.push_back(std::move(segment));
  return Status::ok();
}

Journal::Journal(std::unique_ptr<State> state) : state_(std::move(state)) {}
Journal::~Journal() = default;

bool Journal::exists(const std::string& directory) {
  std::error_code ec;
  return !list_segments(directory, 0, ec).empty();
}

Status Journal::open(const JournalOptions& options, std::unique_ptr<Journal>& out) {
  auto state = std::make_unique<State>();
  state->directory = options.directory;
  state->read_only = options.read_only;
  state->capacity_bytes = options.capacity_bytes;
  const std::size_t wanted_segment_bytes =
      options.segment_bytes != 0
          ? options.segment_bytes
          : std::min(options.capacity_bytes,
                     std::clamp(options.capacity_bytes / 8, std::size_t{1} << 20,
                                std::size_t{64} << 20));
  state->segment_bytes = std::max<std::size_t>(wanted_segment_bytes & ~std::size_t{4095}, 4096);
  std::error_code ec;
  if (fs::exists(fs::path(options.directory) / "data.mdb", ec) && !exists(options.directory)) {
    return Status::error(Status::Code::invalid_argument,
                         options.directory +
                             ": an LMDB journal of an earlier build; this build keeps the journal "
                             "in segment files (start a new data directory)");
  }
  if (options.read_only) {
    if (!exists(options.directory)) {
      return Status::error(Status::Code::not_found,
                           options.directory + ": no journal segments (segment-*.log)");
    }
  } else {
    fs::create_directories(options.directory, ec);
    if (ec) return Status::error(Status::Code::io_error, options.directory + ": " + ec.message());
    // Leftovers of a crash while a spare was filled or a segment started.
    fs::remove(
        fs::path(options.directory) / (std::string(kSpareName) + std::string(kPartialSuffix)), ec);
    fs::remove(fs::path(options.directory) / std::string(kNextName), ec);
  }
  if (!options.read_only) {
    if (Status s = state->lock(); !s.is_ok()) return s;
  }
  if (Status s = state->add_segments(true); !s.is_ok()) return s;
  if (!options.read_only) {
    if (Status s = state->open_for_append(); !s.is_ok()) return s;
    state->spare = std::make_unique<SparePreparer>(options.directory, state->next_segment_bytes());
  }
  out.reset(new Journal(std::move(state)));
  return Status::ok();
}

Status Journal::write(const JournalBatch& batch) {
  State& s = *state_;
  if (s.read_only) return Status::error(Status::Code::invalid_argument, "journal is read-only");
  const Seq first = batch.last_seq - batch.records.size() + 1;
  const Seq after = s.staged.empty() ? s.last.seq : s.staged_last_seq;
  if (batch.records.empty() || first <= after) {
    return Status::error("journal: append seq " + std::to_string(first) + " after seq " +
                         std::to_string(after));
  }
  const std::size_t begin = s.staged.size();
  const std::size_t marks_before = s.staged_marks.size();
  if (s.staged.empty()) s.staged_first_seq = first;
  Seq seq = first;
  for (const std::string_view record : batch.records)
    jf::append_record(seq++, record, s.staged);
  for (const ChainPoint& mark : batch.marks) {
    jf::append_mark(mark.seq, mark.digest, s.staged);
    s.staged_marks.push_back(mark);
  }
  if (s.used_bytes + s.staged.size() + jf::kCommitFrameBytes > s.capacity_bytes.load()) {
    s.staged.resize(begin);
    s.staged_marks.resize(marks_before);
    return Status::error(Status::Code::full, "journal: full (" + std::to_string(s.used_bytes) +
                                                 " of " + std::to_string(s.capacity_bytes.load()) +
                                                 " bytes)");
  }
  s.staged_last_seq = batch.last_seq;
  s.staged_chain = batch.chain_after;
  return Status::ok();
}

Status Journal::sync() {
  State& s = *state_;
  if (s.staged.empty()) return Status::ok();
  jf::append_commit(s.staged_first_seq, s.staged_last_seq, s.staged_chain, 0, s.staged);
  const auto discard = [&](Status status) {
    s.staged.clear();
    s.staged_marks.clear();
    return status;
  };
  const bool fits =
      !s.segments.empty() && s.write_offset + s.staged.size() <= s.segments.back()->size;
  if (!fits) {
    if (Status st = s.roll_over(s.staged.size()); !st.is_ok()) return discard(st);
  }
  Segment& segment = *s.segments.back();
  if (Status st = write_all(s.write_fd, s.staged, s.write_offset, segment.path); !st.is_ok())
    return discard(st);
  if (Status st = sync_fd(s.write_fd, segment.path); !st.is_ok()) return discard(st);
  // Durable: show it to readers.
  const std::size_t begin = s.write_offset;
  s.write_offset += s.staged.size();
  segment.index_batch(s.staged_first_seq, begin);
  {
    std::lock_guard lock(s.mutex);
    for (const ChainPoint& mark : s.staged_marks)
      s.marks[mark.seq] = mark.digest;
    s.last = ChainPoint{s.staged_last_seq, s.staged_chain};
    s.used_bytes += s.staged.size();
  }
  segment.end.store(s.write_offset, std::memory_order_release);
  return discard(Status::ok());
}

Status Journal::grow(std::size_t capacity_bytes) {
  std::size_t now = state_->capacity_bytes.load();
  while (capacity_bytes > now &&
         !state_->capacity_bytes.compare_exchange_weak(now, capacity_bytes)) {
  }
  return Status::ok();
}

Seq Journal::first_seq() const {
  if (!state_->refresh().is_ok()) return 0;
  std::lock_guard lock(state_->mutex);
  return state_->last.seq == 0 || state_->segments.empty() ? 0
                                                           : state_->segments.front()->first_seq;
}

Seq Journal::last_seq() const {
  return chain().seq;
}

ChainPoint Journal::chain() const {
  if (!state_->refresh().is_ok()) return ChainPoint{};
  std::lock_guard lock(state_->mutex);
  return state_->last;
}

std::optional<Digest256> Journal::mark(Seq seq) const {
  if (!state_->refresh().is_ok()) return std::nullopt;
  std::lock_guard lock(state_->mutex);
  const auto it = state_->marks.find(seq);
  if (it == state_->marks.end()) return std::nullopt;
  return it->second;
}

JournalSpace Journal::space() const {
  JournalSpace space;
  std::size_t room = 0;
  {
    std::lock_guard lock(state_->mutex);
    space.used_bytes = state_->used_bytes;
    space.capacity_bytes = state_->capacity_bytes.load();
    if (!state_->segments.empty()) {
      const Segment& last = *state_->segments.back();
      room = last.size - std::min(last.size, last.end.load());
    }
  }
  struct statvfs disk {};
  if (!state_->read_only && ::statvfs(state_->directory.c_str(), &disk) == 0) {
    space.disk_free_bytes = room + static_cast<std::size_t>(disk.f_bavail) * disk.f_frsize;
  }
  return space;
}

Status Journal::scan(Seq from_seq, const std::function<bool(Seq, std::string_view)>& visit) const {
  if (Status s = state_->refresh(); !s.is_ok()) return s;
  std::vector<std::shared_ptr<Segment>> segments;
  {
    std::lock_guard lock(state_->mutex);
    segments = state_->segments;
  }
  // The last segment whose first seq is at most from_seq holds it (or the first one does).
  auto it = std::upper_bound(segments.begin(), segments.end(), from_seq,
                             [](Seq seq, const auto& segment) { return seq < segment->first_seq; });
  if (it != segments.begin()) --it;
  for (; it != segments.end(); ++it) {
    const Segment& segment = **it;
    const std::string_view bytes =
        segment.bytes().substr(0, segment.end.load(std::memory_order_acquire));
    for (std::size_t offset = segment.start_offset(from_seq); offset < bytes.size();) {
      const std::optional<jf::Frame> frame = jf::read_frame(bytes, offset);
      if (!frame) {
        return corruption("journal " + segment.name() + " offset " + std::to_string(offset) +
                          ": unreadable frame");
      }
      offset += frame->bytes;
      if (frame->kind != jf::FrameKind::record || frame->seq < from_seq) continue;
      if (!visit(frame->seq, frame->body)) return Status::ok();
    }
  }
  return Status::ok();
}

Status Journal::scan_marks(const std::function<bool(Seq, const Digest256&)>& visit) const {
  if (Status s = state_->refresh(); !s.is_ok()) return s;
  std::map<Seq, Digest256> marks;
  {
    std::lock_guard lock(state_->mutex);
    marks = state_->marks;
  }
  for (const auto& [seq, digest] : marks) {
    if (!visit(seq, digest)) break;
  }
  return Status::ok();
}

const std::string& Journal::directory() const {
  return state_->directory;
}

std::size_t Journal::unfinished_bytes() const {
  return state_->unfinished_bytes;
}

}  // namespace auction::persistence
