// A TCP stream that is plain or TLS, decided at run time, so that one HTTP and one WebSocket
// code path (server and client) serves http:// and https://, ws:// and wss://.
//
// It is an Asio AsyncStream (async_read_some / async_write_some / get_executor) whose
// next_layer() is the TCP stream, so beast::get_lowest_layer() reaches the socket and its
// timeouts either way. A plain connection keeps only a null pointer for TLS: an ssl::stream
// allocates its record buffers (tens of KiB) when constructed.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <memory>
#include <utility>

namespace parley::net {

class Stream {
 public:
  using Tls = boost::asio::ssl::stream<boost::beast::tcp_stream>;
  using executor_type = boost::beast::tcp_stream::executor_type;
  using next_layer_type = boost::beast::tcp_stream;

  explicit Stream(boost::beast::tcp_stream tcp) : plain_(std::move(tcp)) {}
  explicit Stream(const executor_type& ex) : plain_(ex) {}

  // Before any I/O: every byte from now on goes through TLS with this context.
  void use_tls(boost::asio::ssl::context& context) { tls_ = std::make_unique<Tls>(std::move(plain_), context); }
  bool is_tls() const { return tls_ != nullptr; }
  // For connections that keep their own deadlines (the server's WebSockets): plain I/O goes
  // straight to the socket, skipping tcp_stream's per-operation timeout bookkeeping, which
  // costs more than the rest of a small write. tcp_stream's expires_* no longer apply.
  void bypass_timeouts() { bypass_timeouts_ = true; }
  Tls& tls() { return *tls_; }

  executor_type get_executor() { return next_layer().get_executor(); }
  next_layer_type& next_layer() { return tls_ ? tls_->next_layer() : plain_; }
  const next_layer_type& next_layer() const { return tls_ ? tls_->next_layer() : plain_; }
  boost::asio::ip::tcp::socket& socket() { return next_layer().socket(); }

  template <class MutableBuffers, class Handler>
  auto async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    if (tls_) return tls_->async_read_some(buffers, std::forward<Handler>(handler));
    if (bypass_timeouts_) return plain_.socket().async_read_some(buffers, std::forward<Handler>(handler));
    return plain_.async_read_some(buffers, std::forward<Handler>(handler));
  }

  template <class ConstBuffers, class Handler>
  auto async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    if (tls_) return tls_->async_write_some(buffers, std::forward<Handler>(handler));
    if (bypass_timeouts_) return plain_.socket().async_write_some(buffers, std::forward<Handler>(handler));
    return plain_.async_write_some(buffers, std::forward<Handler>(handler));
  }

  // WebSocket closing handshake (found by Beast through argument-dependent lookup): TLS
  // connections send close_notify first, plain ones shut the socket down.
  friend void teardown(boost::beast::role_type role, Stream& stream, boost::system::error_code& ec) {
    if (stream.tls_) return boost::beast::teardown(role, *stream.tls_, ec);
    boost::beast::websocket::teardown(role, stream.plain_.socket(), ec);
  }

  template <class Handler>
  friend void async_teardown(boost::beast::role_type role, Stream& stream, Handler&& handler) {
    if (stream.tls_) return boost::beast::async_teardown(role, *stream.tls_, std::forward<Handler>(handler));
    boost::beast::websocket::async_teardown(role, stream.plain_.socket(), std::forward<Handler>(handler));
  }

 private:
  boost::beast::tcp_stream plain_;  // moved into tls_ by use_tls()
  std::unique_ptr<Tls> tls_;
  bool bypass_timeouts_ = false;
};

}  // namespace parley::net
