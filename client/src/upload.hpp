// POST /api/upload-file with a file streamed from disk as multipart/form-data.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "connector.hpp"
#include "http_call.hpp"
#include "parley/client.hpp"

namespace parley::client::detail {

// The body is written in pieces (request header with the part header, then the file in 64 KiB
// chunks, then the closing boundary) with a Content-Length computed up front, so the file is
// never held in memory. The reply is read while the body is still being written: the server
// refuses early (413 over the size limit or the quota, 400, ...) and then closes, and a client
// that only reads after writing would see a reset instead of the refusal.
//
// Deadline: request_timeout for the connect, for each piece written, and for the reply after the
// last piece; a stalled upload ends with an error instead of hanging.
class Upload : public std::enable_shared_from_this<Upload> {
 public:
  using Progress = std::function<void(std::uint64_t sent, std::uint64_t total)>;

  Upload(boost::asio::any_io_executor ex, const ClientOptions& options, std::string path, const std::string& bearer,
         Progress progress, HttpCall::Callback done);
  ~Upload();
  Upload(const Upload&) = delete;
  Upload& operator=(const Upload&) = delete;

  void run();

 private:
  bool open_file();
  void prepare(const std::string& bearer_header);
  void write_next();
  void wrote(boost::beast::error_code ec);
  void arm_deadline();
  void finish(boost::beast::error_code ec, std::string what);

  enum class Stage { head, file, tail, done };

  ClientOptions options_;
  std::string path_, bearer_;
  Progress progress_;
  HttpCall::Callback done_;
  Connector connector_;
  Stream stream_;
  boost::asio::steady_timer deadline_;
  int fd_ = -1;
  std::uint64_t size_ = 0, sent_ = 0;
  std::string head_, tail_;
  std::vector<char> chunk_;
  Stage stage_ = Stage::head;
  bool timed_out_ = false;
  std::string write_error_;  // the body could not be written; the reply may still explain why
  boost::beast::flat_buffer buffer_;
  boost::beast::http::response<boost::beast::http::string_body> res_;
};

}  // namespace parley::client::detail
