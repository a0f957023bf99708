// The bidder server's Listener and public face: accepting (within the connection limit),
// staging bids for the pipeline, and routing durable answers to their sessions. The roles are
// listed in server_impl.h.
#include "auction/gateway/server.h"

#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>

#include "auction/gateway/protocol.h"
#include "bidder_dispatcher.h"
#include "listen.h"

namespace auction::gateway {

TimeMs wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void Server::Impl::do_accept() {
  const auto handler = [this](beast::error_code ec, tcp::socket socket) {
    on_accept(ec, std::move(socket));
  };
  // One IO thread needs no strands: every session runs on the io_context's only thread, which
  // lets answer_all() hand a whole batch over in one post.
  if (options.io_threads <= 1) {
    acceptor.async_accept(io, handler);
  } else {
    acceptor.async_accept(asio::make_strand(io), handler);
  }
}

void Server::Impl::on_accept(beast::error_code ec, tcp::socket socket) {
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

void Server::Impl::stage(CommandBody body, std::uint64_t origin) {
  staged.emplace_back(std::move(body), origin);
  if (flush_posted) return;
  flush_posted = true;
  asio::post(io, [this] { flush_staged(); });  // after the handlers already ready to run
}

void Server::Impl::flush_staged() {
  flush_posted = false;
  thread_local std::vector<std::uint64_t> refused;
  refused.clear();
  commands.submit_all(staged, refused);
  for (const std::uint64_t origin : refused) {
    if (auto session = find_session(session_of(origin))) {
      session->refuse(slot_of(origin));
    }
  }
  staged.clear();
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
  // Several IO threads run sessions on strands of their own: each delivery is posted to its own.
  if (impl.options.io_threads <= 1) impl.board.set_courier(&impl.courier);
  impl.do_accept();
  for (unsigned i = 0; i < std::max(1u, impl.options.io_threads); ++i) {
    impl.threads.emplace_back([&impl] { impl.io.run(); });
  }
}

void Server::stop() {
  Impl& impl = *impl_;
  if (impl.threads.empty()) return;
  impl.stopping.store(true);
  asio::post(impl.io, [&impl] {
    beast::error_code ignored;
    impl.acceptor.close(ignored);
  });
  impl.io.stop();
  for (std::thread& t : impl.threads)
    t.join();
  impl.threads.clear();
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
  if (impl.options.io_threads > 1) {
    for (const Answer& a : answers)
      answer(a.origin, a.seq, a.events);
    return;
  }
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
  auto batch = std::make_shared<Batch>();
  batch->items.reserve(answers.size());
  {
    std::shared_lock lock(impl.sessions_mutex);
    for (const Answer& a : answers) {
      const auto found = impl.sessions.find(session_of(a.origin));
      if (found == impl.sessions.end()) continue;
      auto session = found->second.lock();
      if (!session) continue;
      batch->items.push_back(Item{std::move(session), slot_of(a.origin), a.seq,
                                  batch->events.size(), a.events.size()});
      batch->events.insert(batch->events.end(), a.events.begin(), a.events.end());
    }
  }
  if (batch->items.empty()) return;
  asio::post(impl.io, [batch] {
    for (const Item& item : batch->items) {
      item.session->answer_now(
          item.slot, item.seq,
          std::span<const Event>(batch->events.data() + item.first, item.count));
    }
  });
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
