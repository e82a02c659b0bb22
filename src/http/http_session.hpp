// One HTTP/1.1 connection: reads requests (bounded in size and time), hands REST requests to
// the worker pool, writes replies, and turns a WebSocket upgrade into a WsSession.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <memory>
#include <optional>

#include "app/services.hpp"
#include "http/http_types.hpp"
#include "http/rest_api.hpp"
#include "ws/shards.hpp"

namespace parley {

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket socket, Services& services, RestApi& api, Shard& shard);
  void run();

 private:
  void read();
  void on_read(boost::system::error_code ec);
  void dispatch(BeastRequest request);
  void upgrade(BeastRequest request);
  void write(HttpReply reply, bool keep_alive);

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  Services& services_;
  RestApi& api_;
  Shard& shard_;
  std::string client_address_;
  bool served_any_ = false;
};

}  // namespace parley
