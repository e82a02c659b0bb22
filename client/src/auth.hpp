// The tokens of one login, and the one place that calls login, register and refresh. Client (the
// WebSocket) and Rest (the REST API) each own one.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "parley/client.hpp"

namespace parley::client::detail {

class Auth : public std::enable_shared_from_this<Auth> {
 public:
  using Clock = std::chrono::steady_clock;

  struct Result {
    enum class Outcome {
      ok,        // new tokens are in place (and were reported)
      rejected,  // the password or the refresh token was refused, or there are no credentials
      failed,    // no answer, or one that says nothing about the credentials (5xx, 429)
    };
    Outcome outcome = Outcome::failed;
    int status = 0;     // the HTTP status of the auth request; 0 when there was none
    std::string body;   // its body: on success the token reply (with `user`), else the error
    std::string error;  // for people: what went wrong
  };
  using Done = std::function<void(const Result&)>;

  // Every call must be made on `ex` (a strand or a single-threaded io_context), which also runs
  // every callback. `on_tokens` hears about each new pair of tokens, before the waiters.
  Auth(boost::asio::any_io_executor ex, const ClientOptions& options, std::function<void(const Tokens&)> on_tokens);

  // Gets a new access token: with the refresh token if there is one, else with the password
  // (register_user: registers first). Single-flight: callers arriving while a request is out share
  // its result, because a refresh token works once and using it twice revokes the whole login.
  void obtain(Done done);

  const std::string& access_token() const { return access_token_; }
  const std::string& refresh_token() const { return refresh_token_; }
  // Not empty and, if its expiry is known, not about to expire.
  bool access_token_usable() const;
  // The server refused it: the next obtain() gets a new one.
  void forget_access_token();
  // When the current access token expires: from the server's `expires_in`, or for a token handed
  // in by the application (or reloaded) from its JWT `exp` claim. Read, not verified: it only
  // decides when to refresh; the server decides whether the token is good.
  std::optional<Clock::time_point> expiry() const { return access_expiry_; }

 private:
  // ClientOptions::reload_tokens: tokens refreshed elsewhere replace ours (true) or not.
  bool adopt_reloaded_tokens();
  Result take_tokens(int status, std::string body);
  void set_access_token(std::string token);  // its expiry from the JWT's `exp`, when readable

  boost::asio::any_io_executor ex_;
  ClientOptions options_;
  std::function<void(const Tokens&)> on_tokens_;
  std::vector<Done> waiters_;
  bool registered_ = false;
  std::string access_token_, refresh_token_;
  std::optional<Clock::time_point> access_expiry_;
};

}  // namespace parley::client::detail
