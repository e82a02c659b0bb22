// POST /api/auth/{register,login,refresh,logout}
#include "http/rest_api.hpp"
#include "protocol/json_input.hpp"
#include "util/clock.hpp"

namespace parley {

namespace {

HttpReply grant_reply(int status, const AuthGrant& grant) {
  return json_reply(status,
                    auth_json(AuthReply{grant.user, grant.access_token, grant.refresh_token, grant.expires_in_s}));
}

// Credentials are guessed at from outside: limit attempts per client address.
std::optional<ApiError> throttle(Services& s, const HttpRequest& req) {
  const auto decision = s.auth_limiter.take(req.client_address, std::chrono::steady_clock::now());
  if (decision.allowed) return std::nullopt;
  return ApiError::rate_limited(decision.retry_after_seconds());
}

struct Credentials {
  std::string username;
  std::string password;
};

Result<Credentials> read_credentials(const HttpRequest& req) {
  auto body = json_body(req);
  if (!body.ok()) return body.error();
  const auto username = string_field(body.value(), "username");
  const auto password = string_field(body.value(), "password");
  if (!username.ok() || !password.ok()) return ApiError::bad_request("\"username\" and \"password\" must be strings");
  return Credentials{std::string(username.value), std::string(password.value)};
}

Result<std::string> read_refresh_token(const HttpRequest& req) {
  auto body = json_body(req);
  if (!body.ok()) return body.error();
  const auto token = string_field(body.value(), "refresh_token");
  if (!token.ok()) return ApiError::bad_request("\"refresh_token\" must be a string");
  return std::string(token.value);
}

}  // namespace

HttpReply RestApi::auth_register(const HttpRequest& req) {
  if (auto refused = throttle(s_, req)) return error_reply(*refused);
  auto creds = read_credentials(req);
  if (!creds.ok()) return error_reply(creds.error());
  auto grant = s_.auth.register_user(creds.value().username, creds.value().password, now_ms());
  return grant.ok() ? grant_reply(201, grant.value()) : error_reply(grant.error());
}

HttpReply RestApi::auth_login(const HttpRequest& req) {
  if (auto refused = throttle(s_, req)) return error_reply(*refused);
  auto creds = read_credentials(req);
  if (!creds.ok()) return error_reply(creds.error());
  auto grant = s_.auth.login(creds.value().username, creds.value().password, now_ms());
  return grant.ok() ? grant_reply(200, grant.value()) : error_reply(grant.error());
}

HttpReply RestApi::auth_refresh(const HttpRequest& req) {
  if (auto refused = throttle(s_, req)) return error_reply(*refused);
  auto token = read_refresh_token(req);
  if (!token.ok()) return error_reply(token.error());
  auto grant = s_.auth.refresh(token.value(), now_ms());
  return grant.ok() ? grant_reply(200, grant.value()) : error_reply(grant.error());
}

HttpReply RestApi::auth_logout(const HttpRequest& req) {
  auto token = read_refresh_token(req);
  if (!token.ok()) return error_reply(token.error());
  s_.auth.logout(token.value());
  return no_content();
}

}  // namespace parley
