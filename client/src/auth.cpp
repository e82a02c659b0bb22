#include "auth.hpp"

#include <boost/beast/http/verb.hpp>

#include "http_call.hpp"
#include "json_fields.hpp"
#include "text.hpp"
#include "util/json_writer.hpp"

namespace parley::client::detail {

using Outcome = Auth::Result::Outcome;

Auth::Auth(boost::asio::any_io_executor ex, const ClientOptions& options, std::function<void(const Tokens&)> on_tokens)
    : ex_(std::move(ex)), options_(options), on_tokens_(std::move(on_tokens)), refresh_token_(options.refresh_token) {
  set_access_token(options.access_token);
}

bool Auth::access_token_usable() const {
  if (access_token_.empty()) return false;
  if (!access_expiry_) return true;  // unknown expiry: try it, a 401 says otherwise
  return Clock::now() + std::chrono::seconds(1) < *access_expiry_;
}

void Auth::forget_access_token() {
  access_token_.clear();
  access_expiry_.reset();
}

namespace {

// The `exp` claim (seconds since the epoch) of a JWT, without checking its signature.
std::optional<std::int64_t> jwt_expiry(std::string_view token) {
  const auto first_dot = token.find('.');
  const auto second_dot = token.find('.', first_dot + 1);
  if (first_dot == std::string_view::npos || second_dot == std::string_view::npos) return std::nullopt;
  const auto payload = base64url_decode(token.substr(first_dot + 1, second_dot - first_dot - 1));
  if (!payload) return std::nullopt;
  simdjson::dom::parser parser;
  simdjson::dom::object claims;
  if (parser.parse(*payload).get_object().get(claims) != simdjson::SUCCESS) return std::nullopt;
  const std::int64_t exp = int_of(claims, "exp");
  return exp > 0 ? std::optional<std::int64_t>(exp) : std::nullopt;
}

}  // namespace

void Auth::set_access_token(std::string token) {
  access_token_ = std::move(token);
  access_expiry_.reset();
  if (const auto exp = jwt_expiry(access_token_)) {
    const auto left =
        std::chrono::system_clock::from_time_t(static_cast<std::time_t>(*exp)) - std::chrono::system_clock::now();
    access_expiry_ = Clock::now() + std::chrono::duration_cast<Clock::duration>(left);
  }
}

void Auth::obtain(Done done) {
  waiters_.push_back(std::move(done));
  if (waiters_.size() > 1) return;
  const bool use_refresh = !refresh_token_.empty();
  if (!use_refresh && (options_.username.empty() || options_.password.empty())) {
    auto waiters = std::move(waiters_);
    waiters_.clear();
    const Result none{Outcome::rejected, 0, {}, "no usable credentials: give username and password or a refresh token"};
    for (auto& w : waiters) w(none);
    return;
  }
  if (use_refresh && adopt_reloaded_tokens()) {
    auto waiters = std::move(waiters_);
    waiters_.clear();
    const Result adopted{Outcome::ok, 0, {}, {}};
    for (auto& w : waiters) w(adopted);
    return;
  }
  JsonWriter w;
  std::string target;
  if (use_refresh) {
    w.begin_object().field("refresh_token", refresh_token_).end_object();
    target = "/api/auth/refresh";
  } else {
    w.begin_object().field("username", options_.username).field("password", options_.password).end_object();
    target = options_.register_user && !registered_ ? "/api/auth/register" : "/api/auth/login";
  }
  http_call(
      ex_, options_, boost::beast::http::verb::post, target, w.take(), {},
      [self = shared_from_this(), use_refresh](HttpResult r) {
        Result result;
        if (r.ec) {
          result = {Outcome::failed, 0, {}, r.error};
        } else if (r.status == 200 || r.status == 201) {
          result = self->take_tokens(r.status, std::move(r.body));
        } else if (r.status == 400 || r.status == 401 || r.status == 409) {
          const std::string what = use_refresh ? "the refresh token was rejected" : "login rejected";
          result = {Outcome::rejected, r.status, std::move(r.body), what + " (HTTP " + std::to_string(r.status) + ")"};
        } else {
          result = {Outcome::failed, r.status, std::move(r.body),
                    "auth request failed: HTTP " + std::to_string(r.status)};
        }
        auto waiters = std::move(self->waiters_);
        self->waiters_.clear();
        for (auto& w : waiters) w(result);
      });
}

bool Auth::adopt_reloaded_tokens() {
  if (!options_.reload_tokens) return false;
  const auto stored = options_.reload_tokens();
  if (!stored || stored->refresh_token.empty() || stored->refresh_token == refresh_token_) return false;
  set_access_token(stored->access_token);
  refresh_token_ = stored->refresh_token;
  return true;
}

Auth::Result Auth::take_tokens(int status, std::string body) {
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(body).get_object().get(obj) != simdjson::SUCCESS) {
    return {Outcome::failed, status, std::move(body), "the auth reply is not JSON"};
  }
  Tokens tokens{str_of(obj, "access_token"), str_of(obj, "refresh_token"), int_of(obj, "expires_in")};
  if (tokens.access_token.empty()) return {Outcome::failed, status, std::move(body), "the auth reply has no token"};
  registered_ = true;                     // from now on the password logs in
  set_access_token(tokens.access_token);  // the JWT's `exp`, unless expires_in says otherwise
  if (!tokens.refresh_token.empty()) refresh_token_ = tokens.refresh_token;
  if (tokens.expires_in_s > 0) access_expiry_ = Clock::now() + std::chrono::seconds(tokens.expires_in_s);
  if (on_tokens_) on_tokens_(tokens);
  return {Outcome::ok, status, std::move(body), {}};
}

}  // namespace parley::client::detail
