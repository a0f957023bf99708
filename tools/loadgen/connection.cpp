// Connection: one WebSocket connection of auction-loadgen, framed by hand.
#include <charconv>
#include <cstdio>

#include "load.h"

namespace auction::loadgen {

std::string_view text_field(std::string_view json, std::string_view key) {
  const std::string pattern = "\"" + std::string(key) + "\":\"";
  const auto at = json.find(pattern);
  if (at == std::string_view::npos) return {};
  const auto start = at + pattern.size();
  return json.substr(start, json.find('"', start) - start);
}

std::int64_t number_field(std::string_view json, std::string_view key) {
  const std::string pattern = "\"" + std::string(key) + "\":";
  const auto at = json.find(pattern);
  if (at == std::string_view::npos) return -1;
  std::int64_t value = -1;
  const char* begin = json.data() + at + pattern.size();
  std::from_chars(begin, json.data() + json.size(), value);
  return value;
}

void append_frame(std::string& out, std::string_view payload) {
  out.push_back(static_cast<char>(0x81));  // FIN, text
  if (payload.size() < 126) {
    out.push_back(static_cast<char>(0x80 | payload.size()));
  } else {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(payload.size() >> 8));
    out.push_back(static_cast<char>(payload.size() & 0xFF));
  }
  out.append(4, '\0');  // masking key 0: the payload goes as is
  out.append(payload);
}

void Connection::start(const tcp::endpoint& endpoint) {
  socket_.async_connect(endpoint, [this](boost::system::error_code ec) {
    if (ec) {
      std::fprintf(stderr, "auction-loadgen: connect: %s\n", ec.message().c_str());
      return;
    }
    socket_.set_option(tcp::no_delay(true));
    pending_ =
        "GET /ws HTTP/1.1\r\nHost: loadgen\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    flush();  // the login follows the server's 101 (RFC 6455: no frames before the handshake)
    do_read();
  });
}

void Connection::queue_bid(Clock::time_point intended) {
  const std::uint64_t id = next_id_++;
  outstanding_.emplace(id, intended);
  char text[160];
  if (load_.options().ping) {
    const int n = std::snprintf(text, sizeof(text), "{\"type\":\"ping\",\"id\":\"%llu\"}",
                                static_cast<unsigned long long>(id));
    append_frame(pending_, std::string_view(text, static_cast<std::size_t>(n)));
    return load_.sent();
  }
  const auto [lot, amount] = load_.pick_bid();
  const int n = std::snprintf(
      text, sizeof(text), "{\"type\":\"bid\",\"id\":\"%llu\",\"lot\":\"open-%u\",\"amount\":%lld}",
      static_cast<unsigned long long>(id), lot, static_cast<long long>(amount));
  append_frame(pending_, std::string_view(text, static_cast<std::size_t>(n)));
  load_.sent();
}

void Connection::flush() {
  if (writing_ || pending_.empty()) return;
  writing_ = true;
  std::swap(sending_, pending_);
  asio::async_write(socket_, asio::buffer(sending_),
                    [this](boost::system::error_code ec, std::size_t) {
                      writing_ = false;
                      sending_.clear();
                      if (!ec) flush();
                    });
}

void Connection::do_read() {
  socket_.async_read_some(
      asio::buffer(in_.data() + in_size_, in_.size() - in_size_),
      [this](boost::system::error_code ec, std::size_t n) {
        if (ec) return;
        in_size_ += n;
        std::size_t at = 0;
        if (!upgraded_) {
          const std::string_view head(in_.data(), in_size_);
          const auto end = head.find("\r\n\r\n");
          if (end == std::string_view::npos) return do_read();
          if (head.substr(0, 12) != "HTTP/1.1 101") {
            std::fprintf(stderr, "auction-loadgen: upgrade refused\n");
            return;
          }
          upgraded_ = true;
          at = end + 4;
          if (subscribe_lot_.empty()) {
            append_frame(pending_, "{\"type\":\"login\",\"user\":\"" + user_ + "\",\"token\":\"" +
                                       token_ + "\"}");
          } else {
            append_frame(pending_, "{\"type\":\"subscribe\",\"lot\":\"" + subscribe_lot_ + "\"}");
          }
          flush();
        }
        // Every complete frame in the buffer, before reading again.
        while (in_size_ - at >= 2) {
          const auto* p = reinterpret_cast<const unsigned char*>(in_.data() + at);
          std::size_t length = p[1] & 0x7F, header = 2;
          if (length == 126) {
            if (in_size_ - at < 4) break;
            length = (std::size_t{p[2]} << 8) | p[3];
            header = 4;
          } else if (length == 127) {
            if (in_size_ - at < 10) break;
            length = 0;
            for (int i = 0; i < 8; ++i)
              length = (length << 8) | p[2 + i];
            header = 10;
          }
          if (in_size_ - at < header + length) break;
          const unsigned opcode = p[0] & 0x0F;
          if (opcode == 0x1) on_frame(std::string_view(in_.data() + at + header, length));
          if (opcode == 0x8) return;  // closed by the server
          at += header + length;
        }
        std::memmove(in_.data(), in_.data() + at, in_size_ - at);
        in_size_ -= at;
        if (in_size_ == in_.size()) in_.resize(in_.size() * 2);
        do_read();
      });
}

void Connection::on_frame(std::string_view payload) {
  const std::string_view type = text_field(payload, "type");
  if (type == "snapshot" && payload.find("\"resync\":true") != std::string_view::npos) {
    load_.resynced();
  } else if (type == "login_ok" || type == "snapshot") {
    ready_ = true;  // bidding starts with the measurement (Load::run)
    load_.on_ready();
  } else if (type == "bid" && !subscribe_lot_.empty()) {
    load_.delivered(number_field(payload, "amount"));
  } else if ((type == "accepted" || type == "rejected") && !load_.options().fanout_lot.empty()) {
    load_.fanout_answer(type == "accepted");
  } else if (type == "accepted" || type == "rejected" || type == "pong") {
    on_answer(payload);
  } else if (type == "error") {
    std::fprintf(stderr, "auction-loadgen: %s: %.*s\n", user_.c_str(),
                 static_cast<int>(payload.size()), payload.data());
  }
}

void Connection::on_answer(std::string_view payload) {
  const std::string_view id_text = text_field(payload, "id");
  std::uint64_t id = 0;
  std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  const auto found = outstanding_.find(id);
  if (found == outstanding_.end()) return load_.duplicate();
  const Clock::time_point intended = found->second;
  outstanding_.erase(found);
  const std::string_view type = text_field(payload, "type");
  const std::string_view lot_text = text_field(payload, "lot");
  unsigned lot = 0;
  if (lot_text.size() > 5)
    std::from_chars(lot_text.data() + 5, lot_text.data() + lot_text.size(), lot);
  const std::string_view code =
      type == "rejected" ? text_field(payload, "code") : std::string_view{};
  const std::int64_t next = number_field(payload, "min_next");
  if (next > 0) load_.learned(lot, next);
  load_.answered(intended, type, code);
  load_.next_closed_loop(*this);
}

}  // namespace auction::loadgen
