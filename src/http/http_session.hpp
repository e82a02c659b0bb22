// One HTTP/1.1 connection: reads requests (bounded in size and time), hands REST requests to
// the worker pool, writes replies, and turns a WebSocket upgrade into a WsSession.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <memory>
#include <optional>

#include "app/services.hpp"
#include "http/http_types.hpp"
#include "http/rest_api.hpp"
#include "net/stream.hpp"
#include "ws/shards.hpp"

namespace parley {

struct UploadState;
struct StaticAsset;

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  // tls: the server's TLS context, or null for plain HTTP.
  HttpSession(boost::asio::ip::tcp::socket socket, Services& services, RestApi& api, Shard& shard,
              boost::asio::ssl::context* tls);
  ~HttpSession();
  void run();

 private:
  void handshake();
  void read();
  void on_header(boost::system::error_code ec);
  void on_read(boost::system::error_code ec);
  bool read_failed(boost::system::error_code ec);
  void dispatch(BeastRequest request);
  void upgrade(BeastRequest request);
  // keep_alive false closes the connection after the reply: what the client still sends is read
  // and discarded for a bounded time first, so a client whose request was refused half-way (an
  // upload over the limit) sees the reply instead of a connection reset.
  void write(HttpReply reply, bool keep_alive);
  // Writes a complete response under the idle timeout, then reads the next request, or closes
  // (drain_then_close) when the response is not keep-alive.
  template <class Response>
  void send_response(std::shared_ptr<Response> res) {
    stream_.next_layer().expires_after(std::chrono::seconds(services_.config.http_idle_timeout_s));
    boost::beast::http::async_write(stream_, *res,
                                    [self = shared_from_this(), res](boost::system::error_code ec, std::size_t) {
                                      if (ec) return;
                                      if (!res->keep_alive()) return self->drain_then_close();
                                      self->read();
                                    });
  }
  void drain_then_close();

  // http_upload.cpp: POST /api/upload-file, streamed to disk.
  void start_upload();
  void read_upload_chunk();
  void on_upload_chunk(boost::system::error_code ec);
  void finish_upload();

  // http_download.cpp: GET /api/files/<name>.
  struct FileReply;
  void serve_file(BeastRequest request);
  void write_file_reply(std::shared_ptr<FileReply> reply, bool keep_alive);

  // static_files: the web client's embedded files (GET/HEAD of "/" and the asset paths).
  void serve_static(const StaticAsset& asset, bool head, std::string_view if_none_match, bool keep_alive);

  net::Stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::empty_body>> header_parser_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> body_parser_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::buffer_body>> upload_parser_;
  std::unique_ptr<UploadState> upload_;  // while an upload is being received
  Services& services_;
  RestApi& api_;
  Shard& shard_;
  std::string client_address_;
  bool served_any_ = false;
  bool drain_deadline_set_ = false;
  std::vector<char> chunk_;  // upload and drain reads
};

}  // namespace parley
