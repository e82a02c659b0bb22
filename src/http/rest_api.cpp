#include "http/rest_api.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/ip/address.hpp>

#include "protocol/json_input.hpp"
#include "util/clock.hpp"

namespace parley {

namespace http = boost::beast::http;

Result<simdjson::dom::object> json_body(const HttpRequest& req) {
  simdjson::dom::element doc;
  if (thread_json_parser().parse(req.body).get(doc) != simdjson::SUCCESS) {
    return ApiError::bad_request("body is not valid JSON");
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) return ApiError::bad_request("body must be a JSON object");
  return obj;
}

HttpReply RestApi::handle(const HttpRequest& req) {
  try {
    return route(req, path_segments(req.path));
  } catch (const std::exception& e) {
    // Store or library failure: logged here, never shown to the client.
    spdlog::error("request failed: method={} path={} error={}", std::string(http::to_string(req.method)), req.path,
                  e.what());
    return error_reply(ApiError::internal());
  }
}

Result<User> RestApi::authenticate(const HttpRequest& req) const {
  const auto token = bearer_token(req.authorization);
  if (token.empty()) return ApiError::unauthorized();
  auto claims = s_.auth.authenticate(token, now_ms());
  if (!claims.ok()) return claims.error();
  return claims.value().user();
}

// Scrapers on the same machine need nothing; from elsewhere the configured metrics token is
// required (and without one, metrics stay local).
bool RestApi::metrics_allowed(const HttpRequest& req) const {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(req.client_address, ec);
  if (!ec && address.is_loopback()) return true;
  if (!ec && address.is_v6() && address.to_v6().is_v4_mapped() &&
      boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6()).is_loopback()) {
    return true;
  }
  const auto& token = s_.config.metrics_token;
  return !token.empty() && bearer_token(req.authorization) == token;
}

HttpReply RestApi::route(const HttpRequest& req, const Segments& seg) {
  const auto method = req.method;
  const std::size_t n = seg.size();
  if (n == 1 && seg[0] == "healthz" && method == http::verb::get) return json_reply(200, R"({"status":"ok"})");
  if (n == 1 && seg[0] == "metrics" && method == http::verb::get) {
    if (!metrics_allowed(req)) return error_reply(ApiError::unauthorized("metrics need the metrics token"));
    HttpReply reply{200, s_.metrics.render()};
    reply.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return reply;
  }
  if (n == 3 && seg[0] == "api" && seg[1] == "auth" && method == http::verb::post) {
    if (seg[2] == "register") return auth_register(req);
    if (seg[2] == "login") return auth_login(req);
    if (seg[2] == "refresh") return auth_refresh(req);
  }
  auto me = authenticate(req);
  if (!me.ok()) return error_reply(me.error());
  const auto decision = s_.api_limiter.take(me.value().id, std::chrono::steady_clock::now());
  if (!decision.allowed) return error_reply(ApiError::rate_limited(decision.retry_after_seconds()));
  return route_authenticated(req, seg, me.value());
}

HttpReply RestApi::route_authenticated(const HttpRequest& req, const Segments& seg, const User& me) {
  const auto method = req.method;
  const std::size_t n = seg.size();
  if (n >= 2 && seg[0] == "api") {
    if (n == 2 && seg[1] == "me" && method == http::verb::get) return json_reply(200, user_json(me));
    if (n == 3 && seg[1] == "auth" && seg[2] == "logout" && method == http::verb::post) return auth_logout(req);
    if (seg[1] == "rooms") {
      if (n == 2 && method == http::verb::get) return list_rooms(me);
      if (n == 2 && method == http::verb::post) return create_room(req, me);
      if (n == 3 && seg[2] == "join" && method == http::verb::post) return join_by_invite(req, me);
      if (n >= 3) return room_action(req, seg, me);
    }
    if (seg[1] == "messages") {
      if (n == 2 && method == http::verb::get) return get_messages(req, me);
      if (n == 2 && method == http::verb::post) return post_message(req, me);
      if (n == 3) return message_action(req, seg, me);
    }
  }
  if (n == 1) {
    if (seg[0] == "sendMessage" && method == http::verb::post) return compat_send(req, me);
    if (seg[0] == "getMessages" && method == http::verb::get) return compat_get_messages(req, me);
    if (seg[0] == "updateStatus" && method == http::verb::post) return compat_update_status(req, me);
    if (seg[0] == "getStatus" && method == http::verb::get) return compat_get_status(req);
  }
  return error_reply(ApiError::not_found("no such endpoint"));
}

}  // namespace parley
