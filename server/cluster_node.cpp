#include "cluster_node.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "auction/gateway/json_writer.h"

namespace auction {
namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

// DATA_DIR/cluster-diverged: the seq from which this node's journal left the stream's history.
constexpr const char* kDivergedFile = "cluster-diverged";
// DATA_DIR/cluster-position: "<stream seq> <journal seq>", a hint where following may resume.
constexpr const char* kPositionFile = "cluster-position";

// The follower's events of one poll, handed to the wiring together.
class ReplicaEvents final : public EventSink {
 public:
  void on_event(const Event& event) override { events.push_back(event); }
  std::vector<Event> events;
};

// One line of the node's cluster log, with its id and the UTC time to the millisecond (three
// nodes' logs are read side by side).
void say(const std::string& node, const std::string& text) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  std::fprintf(stderr, "auctiond: [cluster %s %02d:%02d:%02d.%03d] %s\n", node.c_str(), utc.tm_hour,
               utc.tm_min, utc.tm_sec, static_cast<int>(ms), text.c_str());
}

void write_file_atomically(const std::string& path, const std::string& text) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << text << "\n";
  }
  std::error_code ignored;
  fs::rename(temporary, path, ignored);
}

// Where following may resume: the stream seq a previous run applied up to, if this journal
// still reaches the journal seq it had then (else from the genesis record: all is re-checked).
std::uint64_t resume_position(const std::string& data_dir, Seq journal_last_seq) {
  std::ifstream in(data_dir + "/" + kPositionFile);
  std::uint64_t stream_seq = 0;
  Seq journal_seq = 0;
  if (in >> stream_seq >> journal_seq && journal_seq <= journal_last_seq && stream_seq > 1) {
    return stream_seq;
  }
  return 1;
}

// Sleeps up to `duration`, waking early when `stopping` is set.
void nap(const std::atomic<bool>& stopping, std::chrono::milliseconds duration) {
  const auto until = SteadyClock::now() + duration;
  while (!stopping.load() && SteadyClock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

// Asks auctiond's main thread to shut down (it then restarts when must_restart() is true).
void request_restart() {
  ::kill(::getpid(), SIGTERM);
}

}  // namespace

Status check_cluster_config(const ClusterConfig& config) {
  if (!config.enabled()) {
    if (!config.shard.empty() || !config.node.empty()) {
      return Status::error("--shard and --node need --nats (the cluster's NATS servers)");
    }
    return Status::ok();
  }
  for (const std::string& url : config.nats_urls) {
    if (!url.starts_with("nats://") || url.size() <= 7) {
      return Status::error("--nats: \"" + url + "\" is not a URL like nats://127.0.0.1:4222");
    }
  }
  if (!cluster::is_shard_id(config.shard)) {
    return Status::error("--shard: 1-32 characters of [A-Za-z0-9_-] (the same on every node)");
  }
  if (!cluster::is_shard_id(config.node)) {
    return Status::error("--node: 1-32 characters of [A-Za-z0-9_-] (different on every node)");
  }
  if (config.lease_ms < 500 || config.lease_ms > 60'000) {
    return Status::error("--lease-ms: from 500 to 60000 (the same on every node)");
  }
  if (config.commit_delay_us < 0 || config.commit_delay_us > 10'000) {
    return Status::error("--commit-delay-us: from 0 to 10000");
  }
  return Status::ok();
}

Status set_aside_diverged(const std::string& data_dir, std::string& message) {
  message.clear();
  std::ifstream marker(data_dir + "/" + kDivergedFile);
  Seq from_seq = 0;
  if (!(marker >> from_seq)) return Status::ok();
  const TimeMs now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  const std::string folder = data_dir + "/set-aside-" + std::to_string(now_ms);
  std::error_code error;
  fs::create_directories(folder, error);
  if (error) return Status::error(Status::Code::io_error, folder + ": " + error.message());
  std::size_t records = 0;
  if (persistence::Journal::exists(data_dir + "/journal")) {
    std::unique_ptr<persistence::Journal> journal;
    persistence::JournalOptions options{data_dir + "/journal"};
    options.read_only = true;
    if (Status s = persistence::Journal::open(options, journal); !s.is_ok()) return s;
    // tail.bin: each record as a u32 length (little-endian) and its bytes (record_codec.h).
    std::ofstream tail(folder + "/tail.bin", std::ios::binary);
    const Status scanned = journal->scan(from_seq, [&](Seq, std::string_view record) {
      const auto length = static_cast<std::uint32_t>(record.size());
      tail.write(reinterpret_cast<const char*>(&length), sizeof(length));
      tail.write(record.data(), static_cast<std::streamsize>(record.size()));
      ++records;
      return true;
    });
    if (!scanned.is_ok()) return scanned;
    tail.flush();
    if (!tail) return Status::error(Status::Code::io_error, folder + "/tail.bin: not written");
  }
  // Everything derived from the diverged journal goes with it; the node rebuilds from the stream.
  for (const char* part : {"journal", "snapshots", "settlement", kPositionFile}) {
    if (fs::exists(data_dir + "/" + part)) fs::rename(data_dir + "/" + part, folder + "/" + part);
  }
  fs::remove(data_dir + "/" + kDivergedFile);
  message = std::to_string(records) + " journal records from seq " + std::to_string(from_seq) +
            " that the shard's stream never took (never acknowledged) are set aside in " + folder +
            "/tail.bin, with the journal, snapshots and settlement state built on them; this "
            "node rebuilds from the stream";
  return Status::ok();
}

ClusterNode::ClusterNode(ClusterConfig config, std::string data_dir, Engine& engine,
                         persistence::Journal& journal, persistence::Clock& clock, Wiring& wiring,
                         persistence::PipelineOptions pipeline_options)
    : config_(std::move(config)),
      data_dir_(std::move(data_dir)),
      names_(config_.shard),
      engine_(engine),
      journal_(journal),
      clock_(clock),
      wiring_(wiring),
      pipeline_options_(std::move(pipeline_options)) {
  pipeline_options_.commit_delay_us = config_.commit_delay_us;
}

ClusterNode::~ClusterNode() {
  stop();
  wiring_.forward_to(nullptr);
  wiring_.replicate_accounts(nullptr);
}

// Retries open_once() until every part is open: after a nats-server dies, JetStream moves its
// streams' leaders (about 5 s here) and any step may time out meanwhile. (A node that gave up
// after the lease, on the directory or the accounts, stayed up without ever following.)
Status ClusterNode::open() {
  cluster::NatsOptions options;
  options.urls = config_.nats_urls;
  options.client_name = "auctiond " + config_.shard + "/" + config_.node;
  options.connect_timeout_ms = 2'000;
  while (true) {
    const Status status = open_once(options);
    if (status.is_ok()) break;
    if (status.code() == Status::Code::invalid_argument) return status;  // misconfigured
    say(config_.node, status.message() + "; retrying (this node does not start alone)");
    if (stopping_.load()) return Status::error(Status::Code::unavailable, "stopped while waiting");
    nap(stopping_, std::chrono::milliseconds(1'000));
  }
  stream_seq_ = resume_position(data_dir_, journal_.last_seq());
  return Status::ok();
}

// Opens what is not open yet. Each part is kept only once it opened, and set once: other
// threads read the directory and the wiring's pointers.
Status ClusterNode::open_once(const cluster::NatsOptions& options) {
  if (Status s = link_.connect(options); !s.is_ok()) return s;
  if (Status s = link_.ensure_stream(names_, 5'000); !s.is_ok()) return s;
  if (!lease_) {
    auto lease = std::make_unique<cluster::Lease>(
        link_, names_, cluster::LeaseOptions{config_.node, config_.lease_ms, config_.lease_ms / 4});
    if (Status s = lease->open(); !s.is_ok()) return s;
    lease_ = std::move(lease);
  }
  if (!directory_) {
    auto directory = std::make_unique<cluster::NodeDirectory>(link_, names_);
    if (Status s = directory->open(); !s.is_ok()) return s;
    directory_ = std::move(directory);
  }
  if (!accounts_) {
    auto accounts = std::make_unique<cluster::AccountReplica>(link_, names_);
    Status s = accounts->open();
    if (s.is_ok()) {
      s = accounts->watch([this](const UserId& user, std::string_view record) {
        wiring_.apply_account(user, record);
      });
    }
    if (!s.is_ok()) return s;  // its destructor stops a started watch
    accounts_ = std::move(accounts);
    wiring_.replicate_accounts(accounts_.get());
  }
  if (!forwarder_) {
    auto forwarder = std::make_unique<cluster::CommandForwarder>(
        link_, names_,
        cluster::ForwardReplies{
            [this](std::uint64_t origin, Seq seq) { wiring_.on_forward_reply(origin, seq); },
            [this](std::uint64_t origin) { wiring_.on_refused(origin); }},
        // A command sent while nobody leads waits for the next leader (a lease and a takeover).
        2 * config_.lease_ms + 2'000);
    if (Status s = forwarder->start(); !s.is_ok()) return s;
    forwarder_ = std::move(forwarder);
    wiring_.forward_to(forwarder_.get());
  }
  if (!command_server_) command_server_ = std::make_unique<cluster::CommandServer>(link_, names_);
  return Status::ok();
}

void ClusterNode::set_addresses(std::string bidder_url, std::string admin_url) {
  bidder_url_ = std::move(bidder_url);
  admin_url_ = std::move(admin_url);
}

void ClusterNode::publish_status_if_due() {
  const auto now = SteadyClock::now();
  if (now < next_status_) return;
  next_status_ = now + std::chrono::seconds(1);
  std::string json;
  gateway::JsonWriter w(json);
  w.begin_object()
      .field("role", leading_.load() ? "leader" : "follower")
      .field("journal_seq", std::uint64_t{journal_.last_seq()})
      .field("stream_seq", std::uint64_t{stream_seq_.load()})
      .field("bidder_url", bidder_url_)
      .field("admin_url", admin_url_)
      .field("updated_ms", std::int64_t{clock_.now_ms()})
      .end_object();
  (void)directory_->publish(config_.node, json);  // missed once: the next second tries again
}

std::string ClusterNode::shard_status_json() const {
  std::string json;
  gateway::JsonWriter w(json);
  const ShardView me = view();
  w.begin_object()
      .field("shard", config_.shard)
      .field("node", config_.node)
      .field("role", me.role)
      .field("leader", me.leader)
      .field("stream_seq", std::uint64_t{me.stream_seq});
  w.begin_object("nodes");
  if (directory_) {
    for (const auto& [node, status] : directory_->list())
      w.field_raw(node, status);
  }
  w.end_object().end_object();
  return json;
}

std::string ClusterNode::nodes_json() const {
  std::string json;
  gateway::JsonWriter w(json);
  w.begin_object().begin_array("nodes");
  if (directory_) {
    for (const auto& [node, status] : directory_->list()) {
      // The entry is publish_status_if_due()'s JSON: a URL holds no quote or backslash.
      const auto at = status.find("\"bidder_url\":\"");
      if (at == std::string::npos) continue;
      const auto from = at + 14;
      w.value(status.substr(from, status.find('"', from) - from));
    }
  }
  w.end_array().end_object();
  return json;
}

void ClusterNode::start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "cluster");
    run();
  });
}

void ClusterNode::stop() {
  stopping_.store(true);
  if (thread_.joinable()) thread_.join();
  if (accounts_) accounts_->stop();  // its thread calls into the wiring: stop it with the node
}

ShardView ClusterNode::view() const {
  std::lock_guard lock(view_mutex_);
  return ShardView{leading_.load() ? "leader" : "follower", leader_, stream_seq_.load()};
}

void ClusterNode::run() {
  if (Status s = open(); !s.is_ok()) {
    if (s.code() == Status::Code::invalid_argument) {
      fatal_ = s.message();
      request_restart();  // wakes auctiond's main thread, which stops with the reason
    }
    return;
  }
  ready_.store(true);
  if (follow()) lead();
}

bool ClusterNode::follow() {
  ReplicaEvents events;
  cluster::Follower follower(link_, names_, journal_, engine_, &events);
  Status status = follower.start(stream_seq_.load());
  auto next_lease_try = SteadyClock::now();
  auto next_position = SteadyClock::now();
  Seq reported_seq = journal_.last_seq();
  while (!stopping_.load()) {
    if (status.is_ok()) status = follower.poll(100);
    // Also records without events (a settlement input): its answer waits for this node's settler.
    if (!events.events.empty() || journal_.last_seq() != reported_seq) {
      reported_seq = journal_.last_seq();
      wiring_.on_replicated(events.events, reported_seq);
      events.events.clear();
    }
    stream_seq_.store(follower.stream_seq());
    if (!status.is_ok()) {
      if (follower.diverged_at() != 0) {
        write_file_atomically(data_dir_ + "/" + kDivergedFile,
                              std::to_string(follower.diverged_at()));
        say(config_.node, status.message() + ": restarting to set this node's tail aside");
        must_restart_.store(true);
        request_restart();
        return false;
      }
      say(config_.node, "following: " + status.message());
      nap(stopping_, std::chrono::milliseconds(500));
      status = follower.start(follower.stream_seq());  // a fresh consumer from where it stood
      continue;
    }
    forwarder_->expire();
    publish_status_if_due();
    const auto now = SteadyClock::now();
    if (now >= next_position) {
      write_file_atomically(
          data_dir_ + "/" + kPositionFile,
          std::to_string(follower.stream_seq()) + " " + std::to_string(journal_.last_seq()));
      next_position = now + std::chrono::seconds(1);
    }
    if (now >= next_lease_try) {
      next_lease_try = now + std::chrono::milliseconds(lease_->renew_every_ms());
      if (lease_->take().is_ok()) return true;
      std::string holder;
      if (lease_->holder(holder).is_ok()) {
        std::lock_guard lock(view_mutex_);
        if (holder != leader_ && !holder.empty()) say(config_.node, "following " + holder);
        leader_ = holder;
      }
    }
  }
  return false;
}

void ClusterNode::lead() {
  const std::uint64_t term = lease_->term();
  cluster::StreamWriter writer(link_, names_, config_.node);
  std::uint64_t fence_seq = 0;
  Status status = writer.fence(term, fence_seq);
  if (status.is_ok()) {
    // Everything the former leader had acknowledged lies before the fence: apply it first.
    ReplicaEvents events;
    cluster::Follower follower(link_, names_, journal_, engine_, &events);
    status = follower.start(stream_seq_.load());
    if (status.is_ok()) status = follower.catch_up_to(fence_seq, 30'000);
    wiring_.on_replicated(events.events, journal_.last_seq());
    if (!status.is_ok() && follower.diverged_at() != 0) {
      write_file_atomically(data_dir_ + "/" + kDivergedFile,
                            std::to_string(follower.diverged_at()));
    }
  }
  if (!status.is_ok()) return step_down("taking over: " + status.message());
  stream_seq_.store(fence_seq);
  // Batches are published while the lease is held; a lapse this node has not noticed yet is
  // harmless: the stream refuses its publish once the next leader fenced, and what it stored
  // before the fence, that leader applies first.
  // A publish without an answer is retried (same message id) for up to 10 s: long enough for
  // the stream to elect a new leader when a nats-server dies (about 5 s measured here).
  cluster::ReplicatedJournal replicated(
      journal_, writer, term, [this] { return lease_->held(); }, 10'000);
  persistence::Pipeline pipeline(engine_, replicated, clock_, wiring_, journal_.chain().digest,
                                 pipeline_options_);
  wiring_.lead(&pipeline, command_server_.get());
  pipeline.start(/*restarted=*/true);  // Restart first: the outage rule for the gap (SPEC §3)
  status = command_server_->start(
      [&pipeline](CommandBody body, std::uint64_t origin) {
        return pipeline.submit(std::move(body), origin);
      },
      forwarder_.get(), [this](std::uint64_t origin) { wiring_.on_refused(origin); });
  {
    std::lock_guard lock(view_mutex_);
    leader_ = config_.node;
  }
  leading_.store(true);
  say(config_.node, "leading shard " + config_.shard + " from stream seq " +
                        std::to_string(fence_seq) + " (term " + std::to_string(term) + ")");
  std::string why = status.is_ok() ? "" : status.message();
  auto refusing_since = SteadyClock::time_point::max();
  while (why.empty() && !stopping_.load()) {
    nap(stopping_, std::chrono::milliseconds(lease_->renew_every_ms()));
    forwarder_->expire();  // what this node forwarded before it led: sent again, to itself
    publish_status_if_due();
    const Status renewed = lease_->renew();
    if (!renewed.is_ok() && !lease_->valid()) why = renewed.message();
    if (writer.deposed()) why = "the stream took a batch from another leader";
    // A leader that cannot make commands durable (a failed journal, a full disk) hands over.
    refusing_since = pipeline.stats().accepting ? SteadyClock::time_point::max()
                                                : std::min(refusing_since, SteadyClock::now());
    if (why.empty() &&
        SteadyClock::now() - refusing_since > std::chrono::milliseconds(config_.lease_ms)) {
      why = "this node cannot make commands durable: " + wiring_.durability_problem();
    }
    stream_seq_.store(writer.last_sequence());
  }
  command_server_->stop();  // no new forwarded commands; those in flight are still answered
  pipeline.stop();
  wiring_.lead(nullptr, nullptr);  // from here, commands are forwarded to the next leader
  leading_.store(false);
  if (why.empty()) {
    lease_->release();  // a clean shutdown: a follower takes over at once
    return;
  }
  step_down(why);
}

void ClusterNode::step_down(const std::string& why) {
  lease_->release();
  say(config_.node, "stepping down: " + why + "; restarting as a follower");
  must_restart_.store(true);
  request_restart();
}

}  // namespace auction
