// The bidder server's Listener and public face: accepting (within the connection limit),
// staging bids for the pipeline, and routing durable answers to their sessions. The roles are
// listed in server_impl.h.
#include "auction/gateway/server.h"

#include <pthread.h>

#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>

#include "auction/engine/assert.h"
#include "auction/gateway/protocol.h"
#include "bidder_dispatcher.h"
#include "listen.h"

namespace auction::gateway {

TimeMs wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<std::unique_ptr<Lane>> Server::Impl::make_lanes(const ServerOptions& options) {
  std::vector<std::unique_ptr<Lane>> lanes;
  for (unsigned i = 0; i < std::max(1u, options.io_threads); ++i)
    lanes.push_back(std::make_unique<Lane>(i, options.limits.fanout_interval));
  return lanes;
}

Lane& Server::Impl::lane_of(const LaneExecutor& executor) {
  for (const auto& lane : lanes) {
    if (&lane->io == &executor.context()) return *lane;
  }
  AUCTION_ASSERT(false && "a session on no lane");
  return *lanes.front();
}

void Server::Impl::do_accept() {
  // Round the lanes: each new connection's socket (and so its session) on the next one.
  Lane& lane = *lanes[next_lane++ % lanes.size()];
  acceptor.async_accept(lane.io, [this](beast::error_code ec, LaneSocket socket) {
    on_accept(ec, std::move(socket));
  });
}

void Server::Impl::on_accept(beast::error_code ec, LaneSocket socket) {
  if (stopping.load()) return;
  if (!ec) {
    if (metrics.connections_open.load() >= options.limits.max_connections) {
      metrics.connections_refused.fetch_add(1);
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      metrics.connections_total.fetch_add(1);
      // Answers are small and latency matters: never hold one back waiting for an ACK (Nagle).
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      start_http_session(*this, std::move(socket));
    }
  }
  do_accept();
}

void Server::Impl::stage(Lane& lane, CommandBody body, std::uint64_t origin) {
  lane.staged.emplace_back(std::move(body), origin);
  if (lane.flush_posted) return;
  lane.flush_posted = true;
  asio::post(lane.io, [this, &lane] { flush_staged(lane); });  // after the handlers ready to run
}

void Server::Impl::flush_staged(Lane& lane) {
  lane.flush_posted = false;
  thread_local std::vector<std::uint64_t> refused;
  refused.clear();
  commands.submit_all(lane.staged, refused);
  for (const std::uint64_t origin : refused) {
    if (auto session = find_session(session_of(origin))) {
      session->refuse(slot_of(origin));
    }
  }
  lane.staged.clear();
}

LaneCourier::LaneCourier(std::vector<std::unique_ptr<Lane>>& lanes)
    : lanes_(lanes), split_(lanes.size()) {}

void LaneCourier::hand_over(std::vector<Delivery>&& batch) {
  if (lanes_.size() == 1) return lanes_.front()->courier.hand_over(std::move(batch));
  for (Delivery& delivery : batch) {
    const unsigned lane = delivery.who->lane();
    split_[lane].push_back(std::move(delivery));
  }
  for (std::size_t i = 0; i < lanes_.size(); ++i) {
    if (split_[i].empty()) continue;
    lanes_[i]->courier.hand_over(std::move(split_[i]));
    split_[i].clear();  // moved from: valid, emptied for the next publish
  }
}

std::uint64_t Server::Impl::register_session(const std::shared_ptr<BidderDispatcher>& session) {
  std::unique_lock lock(sessions_mutex);
  const std::uint64_t id = next_session_id++;
  sessions.emplace(id, session);
  return id;
}

void Server::Impl::unregister_session(std::uint64_t id) {
  std::unique_lock lock(sessions_mutex);
  sessions.erase(id);
}

std::shared_ptr<BidderDispatcher> Server::Impl::find_session(std::uint64_t id) {
  std::shared_lock lock(sessions_mutex);
  const auto found = sessions.find(id);
  return found == sessions.end() ? nullptr : found->second.lock();
}

std::string Server::Impl::metrics_text() const {
  std::string out;
  const auto line = [&](const char* name, const char* help, std::uint64_t value,
                        const char* type = "counter") {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
           name + " " + std::to_string(value) + "\n";
  };
  line("auction_connections_total", "Connections accepted.", metrics.connections_total.load());
  line("auction_connections_open", "Connections open now.", metrics.connections_open.load(),
       "gauge");
  line("auction_connections_refused_total", "Connections refused at the limit.",
       metrics.connections_refused.load());
  line("auction_frames_in_total", "WebSocket frames received.", metrics.frames_in.load());
  line("auction_frames_out_total", "WebSocket frames sent.", metrics.frames_out.load());
  line("auction_sends_total",
       "Writes of a connection's queued frames (frames out / sends: frames per send).",
       metrics.sends.load());
  line("auction_bad_requests_total", "Frames answered with an error.", metrics.bad_requests.load());
  line("auction_bids_total", "Bids received.", metrics.bids_in.load());
  line("auction_bids_accepted_total", "Bids accepted (durable).", metrics.bids_accepted.load());
  line("auction_bids_rejected_total", "Bids rejected.", metrics.bids_rejected.load());
  line("auction_bids_rate_limited_total", "Bids over the connection's rate.",
       metrics.bids_rate_limited.load());
  line("auction_bids_unavailable_total", "Bids refused as unavailable.",
       metrics.bids_unavailable.load());
  line("auction_messages_rate_limited_total", "Messages over the connection's message rate.",
       metrics.messages_rate_limited.load());
  line("auction_closed_too_big_total", "Connections closed for an oversized frame (1009).",
       metrics.closed_too_big.load());
  line("auction_closed_abuse_total", "Connections closed for a bid flood (1008).",
       metrics.closed_abuse.load());
  line("auction_closed_slow_reader_total", "Connections closed for not reading (1008).",
       metrics.closed_slow_reader.load());
  line("auction_resyncs_total",
       "Fresh snapshots sent to subscribers that fell behind, in place of their backlog.",
       metrics.resyncs.load());
  line("auction_subscriptions", "Lot subscriptions now.", board.subscriber_count(), "gauge");
  if (status.metrics_text) out += status.metrics_text();
  return out;
}

Server::Server(ServerOptions options, LotBoard& board, CommandPort& commands,
               const Accounts& accounts, StatusSource status, SettlementPort* settlement)
    : impl_(std::make_unique<Impl>(std::move(options), board, commands, accounts, std::move(status),
                                   settlement)) {}

Server::~Server() {
  stop();
}

void Server::start() {
  Impl& impl = *impl_;
  if (!impl.options.tls_certificate_file.empty() || !impl.options.tls_private_key_file.empty()) {
    // Throws with OpenSSL's reason when a file is missing or does not match.
    impl.tls.emplace(asio::ssl::context::tls_server);
    impl.tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                          asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                          asio::ssl::context::no_tlsv1_1);
    impl.tls->use_certificate_chain_file(impl.options.tls_certificate_file);
    impl.tls->use_private_key_file(impl.options.tls_private_key_file, asio::ssl::context::pem);
  }
  listen_on(impl.acceptor, impl.options.address, impl.options.port);
  impl.board.set_courier(&impl.courier);
  impl.do_accept();
  for (std::size_t i = 0; i < impl.lanes.size(); ++i) {
    impl.lanes[i]->thread = std::thread([&io = impl.lanes[i]->io, i] {
      pthread_setname_np(pthread_self(), ("io-" + std::to_string(i)).c_str());
      const auto work = asio::make_work_guard(io);  // a lane without sessions waits for one
      io.run();
    });
  }
  impl.started = true;
}

void Server::stop() {
  Impl& impl = *impl_;
  if (!impl.started) return;
  impl.started = false;
  impl.stopping.store(true);
  asio::post(impl.lanes.front()->io, [&impl] {
    beast::error_code ignored;
    impl.acceptor.close(ignored);
  });
  for (auto& lane : impl.lanes)
    lane->io.stop();
  for (auto& lane : impl.lanes)
    lane->thread.join();
  impl.board.set_courier(nullptr);
}

std::uint16_t Server::port() const {
  return impl_->acceptor.local_endpoint().port();
}

void Server::answer(std::uint64_t origin, Seq seq, std::span<const Event> events) {
  if (auto session = impl_->find_session(session_of(origin))) {
    session->answer(slot_of(origin), seq, std::vector<Event>(events.begin(), events.end()));
  }
}

void Server::answer_all(std::span<const Answer> answers) {
  Impl& impl = *impl_;
  struct Item {
    std::shared_ptr<BidderDispatcher> session;
    std::uint32_t slot;
    Seq seq;
    std::size_t first, count;
  };
  struct Batch {
    std::vector<Item> items;
    std::vector<Event> events;
  };
  // One post per lane with answers: its sessions' answers, in order.
  std::vector<std::shared_ptr<Batch>> batches(impl.lanes.size());
  {
    std::shared_lock lock(impl.sessions_mutex);
    for (const Answer& a : answers) {
      const auto found = impl.sessions.find(session_of(a.origin));
      if (found == impl.sessions.end()) continue;
      auto session = found->second.lock();
      if (!session) continue;
      auto& batch = batches[session->lane()];
      if (!batch) batch = std::make_shared<Batch>();
      batch->items.push_back(Item{std::move(session), slot_of(a.origin), a.seq,
                                  batch->events.size(), a.events.size()});
      batch->events.insert(batch->events.end(), a.events.begin(), a.events.end());
    }
  }
  for (std::size_t i = 0; i < batches.size(); ++i) {
    if (!batches[i]) continue;
    asio::post(impl.lanes[i]->io, [batch = std::move(batches[i])] {
      for (const Item& item : batch->items) {
        item.session->answer_now(
            item.slot, item.seq,
            std::span<const Event>(batch->events.data() + item.first, item.count));
      }
    });
  }
}

void Server::disconnect_user(const UserId& user) {
  std::shared_lock lock(impl_->sessions_mutex);
  for (const auto& [id, weak] : impl_->sessions) {
    const auto session = weak.lock();
    if (session && session->viewer() == user) session->close_revoked();
  }
}

void Server::notify_orders(std::span<const settlement::Order> orders) {
  Impl& impl = *impl_;
  for (const settlement::Order& order : orders) {
    const Frame frame =
        std::make_shared<const std::string>(encode_order(std::nullopt, &order, wall_ms()));
    // Order updates are rare (a few per sale): one pass over the sessions is affordable.
    std::shared_lock lock(impl.sessions_mutex);
    for (const auto& [id, weak] : impl.sessions) {
      const auto session = weak.lock();
      if (!session) continue;
      const UserId viewer = session->viewer();
      if (viewer == order.buyer || viewer == order.seller) session->deliver(frame);
    }
  }
}

void Server::refuse(std::uint64_t origin) {
  if (auto session = impl_->find_session(session_of(origin))) {
    session->refuse(slot_of(origin));
  }
}

}  // namespace auction::gateway
