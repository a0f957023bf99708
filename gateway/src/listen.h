// Opening a listening socket, shared by the bidder and the admin servers.
// Threading: call before the acceptor's io_context runs.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <string>

namespace auction::gateway {

// Binds `acceptor` to address:port and listens; throws boost::system::system_error on failure.
inline void listen_on(boost::asio::ip::tcp::acceptor& acceptor, const std::string& address,
                      std::uint16_t port) {
  namespace asio = boost::asio;
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address(address), port);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
}

}  // namespace auction::gateway
