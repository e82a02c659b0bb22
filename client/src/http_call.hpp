// One HTTP/1.1 request to the server with a deadline (Beast, async), on its own connection.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "connector.hpp"
#include "parley/client.hpp"

namespace parley::client::detail {

struct HttpResult {
  boost::beast::error_code ec;  // set when no response arrived; `error` then says what failed
  std::string error;
  int status = 0;
  std::string body;
};

class HttpCall : public std::enable_shared_from_this<HttpCall> {
 public:
  using Callback = std::function<void(HttpResult)>;

  // A JSON request; `bearer` (if not empty) goes into `Authorization: Bearer`.
  HttpCall(boost::asio::any_io_executor ex, const ClientOptions& options, boost::beast::http::verb verb,
           std::string target, std::string body, const std::string& bearer, Callback done);

  // Connects, sends, reads the reply; `done` runs once, on the executor given to the constructor.
  void run();

 private:
  void finish(boost::beast::error_code ec, std::string what);

  ClientOptions options_;
  Connector connector_;
  Stream stream_;
  Callback done_;
  boost::beast::http::request<boost::beast::http::string_body> req_;
  boost::beast::http::response<boost::beast::http::string_body> res_;
  boost::beast::flat_buffer buffer_;
};

// Starts one HttpCall.
void http_call(boost::asio::any_io_executor ex, const ClientOptions& options, boost::beast::http::verb verb,
               std::string target, std::string body, const std::string& bearer, HttpCall::Callback done);

}  // namespace parley::client::detail
