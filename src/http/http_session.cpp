#include "http/http_session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "http/static_files.hpp"
#include "http/upload_state.hpp"
#include "protocol/json_input.hpp"
#include "util/clock.hpp"
#include "ws/handshake.hpp"
#include "ws/ws_session.hpp"

namespace parley {

namespace beast = boost::beast;
namespace http = beast::http;

HttpSession::HttpSession(boost::asio::ip::tcp::socket socket, Services& services, RestApi& api, Shard& shard,
                         boost::asio::ssl::context* tls)
    : stream_(beast::tcp_stream(std::move(socket))), services_(services), api_(api), shard_(shard) {
  if (tls) stream_.use_tls(*tls);
  boost::system::error_code ec;
  const auto endpoint = stream_.socket().remote_endpoint(ec);
  if (!ec) client_address_ = endpoint.address().to_string();
}

void HttpSession::run() {
  if (stream_.is_tls()) return handshake();
  read();
}

// The TLS handshake shares the first request's deadline: a silent client goes as quickly.
void HttpSession::handshake() {
  stream_.next_layer().expires_after(std::chrono::seconds(services_.config.handshake_timeout_s));
  stream_.tls().async_handshake(boost::asio::ssl::stream_base::server,
                                [self = shared_from_this()](boost::system::error_code ec) {
                                  // A failed handshake ends the session: the socket closes with it.
                                  if (ec) return spdlog::debug("tls handshake failed: {}", ec.message());
                                  self->read();
                                });
}

void HttpSession::read() {
  header_parser_.emplace();
  header_parser_->header_limit(16 * 1024);
  // Which body limit applies depends on the endpoint: set once the header has been read.
  header_parser_->body_limit(boost::none);
  // A new connection must send its first request within the handshake timeout (half-open and
  // silent clients go quickly); between keep-alive requests it may idle for the idle timeout.
  stream_.next_layer().expires_after(
      std::chrono::seconds(served_any_ ? services_.config.http_idle_timeout_s : services_.config.handshake_timeout_s));
  http::async_read_header(
      stream_, buffer_, *header_parser_,
      [self = shared_from_this()](boost::system::error_code ec, std::size_t) { self->on_header(ec); });
}

// Answers a failed read; true when there was a failure.
bool HttpSession::read_failed(boost::system::error_code ec) {
  if (!ec) return false;
  if (ec == http::error::body_limit) {
    write(error_reply(ApiError::too_large("request body exceeds " + std::to_string(services_.config.max_body_bytes) +
                                          " bytes")),
          false);
  } else if (ec == http::error::header_limit) {
    write(error_reply(ApiError::too_large("request headers too large")), false);
  } else if (ec == http::error::end_of_stream || ec == beast::error::timeout) {
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  } else if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
    // A request Beast could not parse gets one clear 400; a dead socket gets nothing.
    write(error_reply(ApiError::bad_request("malformed HTTP request")), false);
  }
  return true;
}

// The header decides how the body is read: streamed to disk for uploads, not at all for
// downloads and upgrades, into memory (bounded) for everything else.
void HttpSession::on_header(boost::system::error_code ec) {
  if (read_failed(ec)) return;
  services_.metrics.http_requests.fetch_add(1, std::memory_order_relaxed);
  served_any_ = true;
  const auto& header = header_parser_->get();
  const auto target = header.target();
  const auto method = header.method();
  if (method == http::verb::post && (target == "/api/upload-file" || target.starts_with("/api/upload-file?"))) {
    return start_upload();
  }
  if ((method == http::verb::get || method == http::verb::head) && target.starts_with("/api/files/") &&
      header_parser_->is_done()) {
    return serve_file(BeastRequest(header_parser_->release().base()));
  }
  // The web client: only exact asset paths match, so every API path keeps its meaning.
  if ((method == http::verb::get || method == http::verb::head) && header_parser_->is_done() &&
      !beast::websocket::is_upgrade(header)) {
    if (const StaticAsset* asset = find_static_asset(embedded_assets(), target)) {
      return serve_static(*asset, method == http::verb::head, header[http::field::if_none_match], header.keep_alive());
    }
  }
  // Beast checks a declared Content-Length against the limit only while reading the header,
  // which ran without one: check it here (the parser's limit still bounds chunked bodies).
  const auto max_body = static_cast<std::uint64_t>(services_.config.max_body_bytes);
  if (header_parser_->content_length().value_or(0) > max_body) {
    read_failed(http::error::body_limit);
    return;
  }
  body_parser_.emplace(std::move(*header_parser_));
  body_parser_->body_limit(max_body);
  http::async_read(stream_, buffer_, *body_parser_,
                   [self = shared_from_this()](boost::system::error_code ec, std::size_t) { self->on_read(ec); });
}

void HttpSession::on_read(boost::system::error_code ec) {
  if (read_failed(ec)) return;
  BeastRequest request = body_parser_->release();
  if (beast::websocket::is_upgrade(request)) return upgrade(std::move(request));
  dispatch(std::move(request));
}

void HttpSession::dispatch(BeastRequest request) {
  HttpRequest req;
  req.method = request.method();
  req.client_address = client_address_;
  if (!parse_target(request.target(), req.path, req.query)) {
    return write(error_reply(ApiError::bad_request("malformed request target")), request.keep_alive());
  }
  req.authorization = std::string(request[http::field::authorization]);
  req.body = std::move(request.body());
  const bool keep_alive = request.keep_alive();
  spdlog::debug("http method={} path={}", std::string(http::to_string(req.method)), req.path);
  // Handlers may hash passwords or wait for a commit: never on this I/O thread.
  boost::asio::post(services_.workers, [self = shared_from_this(), req = std::move(req), keep_alive]() mutable {
    HttpReply reply = self->api_.handle(req);
    boost::asio::post(self->stream_.get_executor(), [self, reply = std::move(reply), keep_alive]() mutable {
      self->write(std::move(reply), keep_alive);
    });
  });
}

void HttpSession::write(HttpReply reply, bool keep_alive) {
  auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(reply.status), 11);
  res->set(http::field::server, "parley");
  if (reply.status != 204) res->set(http::field::content_type, reply.content_type);
  res->set(http::field::cache_control, "no-store");
  for (auto& [name, value] : reply.headers) res->set(name, value);
  res->body() = std::move(reply.body);
  res->keep_alive(keep_alive);
  res->prepare_payload();
  send_response(std::move(res));
}

void HttpSession::serve_static(const StaticAsset& asset, bool head, std::string_view if_none_match, bool keep_alive) {
  const StaticResponse reply = static_response(asset, if_none_match, head);
  auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(reply.status), 11);
  res->set(http::field::server, "parley");
  for (const auto& [name, value] : reply.headers) res->set(name, value);
  res->body() = std::string(reply.body);
  res->keep_alive(keep_alive);
  if (reply.status == 200) res->content_length(reply.content_length);  // HEAD: what a GET would send
  send_response(std::move(res));
}

void HttpSession::drain_then_close() {
  boost::system::error_code ignored;
  stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
  if (!drain_deadline_set_) {
    drain_deadline_set_ = true;
    stream_.next_layer().expires_after(std::chrono::seconds(2));  // the whole drain, not per read
  }
  chunk_.resize(16 * 1024);
  stream_.async_read_some(boost::asio::buffer(chunk_),
                          [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                            if (ec) {
                              boost::system::error_code ignored;
                              self->stream_.socket().close(ignored);
                              return;
                            }
                            self->drain_then_close();
                          });
}

namespace {

// "http://host:port" -> "host:port"
std::string_view origin_authority(std::string_view origin) {
  const auto scheme = origin.find("://");
  return scheme == std::string_view::npos ? origin : origin.substr(scheme + 3);
}

bool origin_allowed(const BeastRequest& request, const Config& config) {
  const auto origin = request[http::field::origin];
  if (origin.empty()) return true;                                          // native clients send none
  if (origin_authority(origin) == request[http::field::host]) return true;  // the server's own pages
  for (const auto& allowed : config.allowed_origins) {
    if (allowed == origin) return true;
  }
  return false;
}

}  // namespace

void HttpSession::upgrade(BeastRequest request) {
  std::string path;
  std::unordered_map<std::string, std::string> query;
  if (!parse_target(request.target(), path, query)) {
    return write(error_reply(ApiError::bad_request("malformed request target")), false);
  }
  const auto seg = path_segments(path);
  const bool multi_room = seg.size() == 1 && seg[0] == "ws";
  const bool one_room = seg.size() == 3 && seg[0] == "ws" && seg[1] == "chat";
  if (!multi_room && !one_room) return write(error_reply(ApiError::not_found("no such endpoint")), false);
  if (auto refusal = ws::check_upgrade(request)) return write(std::move(*refusal), false);
  if (!origin_allowed(request, services_.config)) {
    return write(error_reply(ApiError::forbidden("origin not allowed")), false);
  }

  std::string token;
  if (auto it = query.find("token"); it != query.end()) {
    token = it->second;
  } else {
    token = std::string(bearer_token(request[http::field::authorization]));
  }
  auto claims = services_.auth.authenticate(token, now_ms());
  if (!claims.ok()) return write(error_reply(claims.error()), false);
  const User user = claims.value().user();
  if (services_.chat.presence().connections_of(user.id) >= services_.config.max_connections_per_user) {
    return write(error_reply(ApiError::rate_limited(5)), false);
  }

  std::optional<RoomId> room;
  std::optional<Seq> since_seq;
  if (one_room) {
    room = parse_positive_id(seg[2]);
    if (!room) return write(error_reply(ApiError::not_found("room not found")), false);
    auto access = services_.chat.visible_room(user, *room);
    if (!access.ok()) return write(error_reply(access.error()), false);
  }
  if (auto it = query.find("since_seq"); it != query.end()) {
    since_seq = parse_int(it->second);
    if (!since_seq || *since_seq < 0) {
      return write(error_reply(ApiError::bad_request("\"since_seq\" must be a non-negative integer")), false);
    }
  }
  spdlog::debug("ws upgrade path={} user={}", path, user.id);
  // A client may send frames right behind its upgrade request: what was read of them goes along.
  const auto early = buffer_.cdata();
  auto session =
      std::make_shared<WsSession>(std::move(stream_), services_, shard_, WsLogin{user, claims.value().session_id}, room,
                                  since_seq, std::string(static_cast<const char*>(early.data()), early.size()));
  session->start(request[http::field::sec_websocket_key]);
}

}  // namespace parley
