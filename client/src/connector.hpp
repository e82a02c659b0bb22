// The one place where a connection to the server is opened.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <chrono>
#include <functional>
#include <string>

#include "parley/client.hpp"

namespace parley::client::detail {

// The byte stream to the server that HttpCall, Upload and the Client's WebSocket hold. With TLS it
// becomes a stream that can carry TLS (an ssl_stream over this one, or a type that is either):
// the users reach the TCP layer only through beast::get_lowest_layer(), which works for both.
using Stream = boost::beast::tcp_stream;

// Resolves the server's host and connects a TCP stream to it. Every connection the library makes
// goes through here: HttpCall (REST), Upload (file uploads) and the Client's WebSocket.
//
// TLS SEAM: wss:// and https:// (ClientOptions::tls, ca_file) belong here, right after the TCP
// connect: wrap the stream in an ssl::stream, set SNI, verify the certificate (against ca_file or
// the system store) and run the handshake, so that REST, uploads and the WebSocket all get TLS at
// once. Until then a connection with tls = true fails with operation_not_supported.
class Connector {
 public:
  // `what` describes a failure for people ("could not connect to HOST:PORT: Connection refused").
  using Done = std::function<void(boost::beast::error_code ec, std::string what)>;

  explicit Connector(boost::asio::any_io_executor ex) : resolver_(std::move(ex)) {}

  // Connects `stream` (which must outlive the operation) to options.host:options.port. The
  // stream's timer bounds the whole connect by `timeout`; it is left armed for the caller to reset.
  void async_connect(const ClientOptions& options, Stream& stream, std::chrono::milliseconds timeout, Done done);

  void cancel() { resolver_.cancel(); }

 private:
  boost::asio::ip::tcp::resolver resolver_;
};

// "HOST:PORT" (IPv6 in brackets), for the Host header and for messages.
std::string authority_of(const ClientOptions& options);

}  // namespace parley::client::detail
