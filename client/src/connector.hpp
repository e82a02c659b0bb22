// The one place where a connection to the server is opened.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <functional>
#include <string>

#include "net/stream.hpp"
#include "parley/client.hpp"

namespace parley::client::detail {

// The byte stream to the server that HttpCall, Upload and the Client's WebSocket hold: plain TCP,
// or TLS over it (net::Stream decides at run time). Users reach the TCP layer only through
// beast::get_lowest_layer(), which works for both.
using Stream = net::Stream;

// Resolves the server's host and connects a stream to it. Every connection the library makes
// goes through here: HttpCall (REST), Upload (file uploads) and the Client's WebSocket. With
// ClientOptions::tls it then runs the TLS handshake (1.2 or newer): SNI, and the server's
// certificate verified for the host name against ClientOptions::ca_file (PEM), or against the
// system's trusted CAs when that is empty. A certificate that does not verify fails the connect.
class Connector {
 public:
  // `what` describes a failure for people ("could not connect to HOST:PORT: Connection refused").
  using Done = std::function<void(boost::beast::error_code ec, std::string what)>;

  explicit Connector(boost::asio::any_io_executor ex) : resolver_(std::move(ex)) {}

  // Connects `stream` (which must outlive the operation and not have been used) to
  // options.host:options.port. The stream's timer bounds the whole connect, TLS handshake
  // included, by `timeout`; it is left armed for the caller to reset.
  void async_connect(const ClientOptions& options, Stream& stream, std::chrono::milliseconds timeout, Done done);

  void cancel() { resolver_.cancel(); }

 private:
  boost::asio::ip::tcp::resolver resolver_;
};

// "HOST:PORT" (IPv6 in brackets), for the Host header and for messages.
std::string authority_of(const ClientOptions& options);

}  // namespace parley::client::detail
