#include "connector.hpp"

#include <boost/asio/error.hpp>
#include <map>
#include <memory>
#include <mutex>

#include "net/tls.hpp"

namespace parley::client::detail {

namespace beast = boost::beast;
using tcp = boost::asio::ip::tcp;

std::string authority_of(const ClientOptions& options) {
  const bool v6 = options.host.find(':') != std::string::npos;
  return (v6 ? "[" + options.host + "]" : options.host) + ":" + std::to_string(options.port);
}

namespace {

// One context per CA file for the whole process: loading the system's CA store takes milliseconds,
// and an SSL object keeps its own reference to the context it was made from.
std::shared_ptr<boost::asio::ssl::context> tls_context(const std::string& ca_file) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<boost::asio::ssl::context>> contexts;
  std::lock_guard lock(mutex);
  auto& context = contexts[ca_file];
  if (!context) context = std::make_shared<boost::asio::ssl::context>(net::client_tls_context(ca_file));
  return context;
}

}  // namespace

void Connector::async_connect(const ClientOptions& options, Stream& stream, std::chrono::milliseconds timeout,
                              Done done) {
  const std::string where = authority_of(options);
  if (options.tls) {
    try {
      stream.use_tls(*tls_context(options.ca_file));
    } catch (const std::exception& e) {  // an unreadable CA file
      return done(boost::asio::error::invalid_argument, e.what());
    }
    if (!net::expect_server_name(stream, options.host)) {
      return done(boost::asio::error::invalid_argument, "invalid TLS server name " + options.host);
    }
  }
  auto& tcp_layer = stream.next_layer();
  tcp_layer.expires_after(timeout);
  resolver_.async_resolve(
      options.host, std::to_string(options.port),
      [&stream, where, done = std::move(done)](beast::error_code ec, tcp::resolver::results_type results) mutable {
        if (ec) return done(ec, "could not resolve " + where + ": " + ec.message());
        stream.next_layer().async_connect(
            results, [where, done = std::move(done), &stream](beast::error_code ec, const tcp::endpoint&) mutable {
              if (ec) return done(ec, "could not connect to " + where + ": " + ec.message());
              stream.socket().set_option(tcp::no_delay(true), ec);  // small frames and requests: no Nagle delay
              if (!stream.is_tls()) return done({}, {});
              stream.tls().async_handshake(
                  boost::asio::ssl::stream_base::client, [where, done = std::move(done)](beast::error_code ec) {
                    if (ec) return done(ec, "TLS handshake with " + where + " failed: " + ec.message());
                    done({}, {});
                  });
            });
      });
}

}  // namespace parley::client::detail
