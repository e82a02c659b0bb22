#include "connector.hpp"

#include <boost/asio/error.hpp>

namespace parley::client::detail {

namespace beast = boost::beast;
using tcp = boost::asio::ip::tcp;

std::string authority_of(const ClientOptions& options) {
  const bool v6 = options.host.find(':') != std::string::npos;
  return (v6 ? "[" + options.host + "]" : options.host) + ":" + std::to_string(options.port);
}

void Connector::async_connect(const ClientOptions& options, Stream& stream, std::chrono::milliseconds timeout,
                              Done done) {
  const std::string where = authority_of(options);
  if (options.tls) {
    // See the TLS seam in the header: the handshake is not implemented yet.
    done(boost::asio::error::operation_not_supported, "TLS (https://, wss://) is not supported yet");
    return;
  }
  stream.expires_after(timeout);
  resolver_.async_resolve(
      options.host, std::to_string(options.port),
      [&stream, where, done = std::move(done)](beast::error_code ec, tcp::resolver::results_type results) mutable {
        if (ec) return done(ec, "could not resolve " + where + ": " + ec.message());
        stream.async_connect(
            results, [where, done = std::move(done), &stream](beast::error_code ec, const tcp::endpoint&) {
              if (ec) return done(ec, "could not connect to " + where + ": " + ec.message());
              stream.socket().set_option(tcp::no_delay(true), ec);  // small frames and requests: no Nagle delay
              done({}, {});
            });
      });
}

}  // namespace parley::client::detail
