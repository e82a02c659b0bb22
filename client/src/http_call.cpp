#include "http_call.hpp"

namespace parley::client::detail {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

HttpCall::HttpCall(boost::asio::any_io_executor ex, const ClientOptions& options, http::verb verb, std::string target,
                   std::string body, const std::string& bearer, Callback done)
    : options_(options), connector_(ex), stream_(ex), done_(std::move(done)) {
  req_.method(verb);
  req_.target(target);
  req_.version(11);
  req_.set(http::field::host, authority_of(options_));
  req_.set(http::field::user_agent, "libparley-client");
  if (!bearer.empty()) req_.set(http::field::authorization, "Bearer " + bearer);
  if (!body.empty()) req_.set(http::field::content_type, "application/json");
  req_.set(http::field::connection, "close");
  req_.body() = std::move(body);
  req_.prepare_payload();
}

void HttpCall::run() {
  // One deadline for the whole exchange: the stream's timer, armed by the connector, is not reset.
  connector_.async_connect(
      options_, stream_, options_.request_timeout, [self = shared_from_this()](beast::error_code ec, std::string what) {
        if (ec) return self->finish(ec, std::move(what));
        http::async_write(self->stream_, self->req_, [self](beast::error_code ec, std::size_t) {
          if (ec) return self->finish(ec, "sending the request failed: " + ec.message());
          http::async_read(self->stream_, self->buffer_, self->res_, [self](beast::error_code ec, std::size_t) {
            self->finish(ec, ec ? "no reply: " + ec.message() : std::string());
          });
        });
      });
}

void HttpCall::finish(beast::error_code ec, std::string what) {
  beast::error_code ignored;
  beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
  if (ec == beast::error::timeout) what = "the server did not answer within the request timeout";
  HttpResult result{ec, std::move(what), ec ? 0 : static_cast<int>(res_.result_int()),
                    ec ? std::string() : std::move(res_.body())};
  if (done_) std::exchange(done_, nullptr)(std::move(result));
}

void http_call(boost::asio::any_io_executor ex, const ClientOptions& options, http::verb verb, std::string target,
               std::string body, const std::string& bearer, HttpCall::Callback done) {
  std::make_shared<HttpCall>(std::move(ex), options, verb, std::move(target), std::move(body), bearer, std::move(done))
      ->run();
}

}  // namespace parley::client::detail
