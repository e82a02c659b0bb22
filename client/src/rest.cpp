// Rest: authenticated REST calls and uploads. Token handling is Auth's (shared with Client);
// this file adds "use the access token, and on 401 refresh once and retry".
#include "parley/rest.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/http/verb.hpp>

#include "auth.hpp"
#include "http_call.hpp"
#include "upload.hpp"
#include "util/json_writer.hpp"

namespace parley::client {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using detail::Auth;
using detail::HttpResult;

namespace {

RestResult from_http(HttpResult r) {
  return RestResult{r.status, std::move(r.body), std::move(r.error), false};
}

RestResult from_auth(const Auth::Result& r) {
  return RestResult{r.status, r.body, r.error, r.outcome == Auth::Result::Outcome::rejected};
}

}  // namespace

struct Rest::Impl : std::enable_shared_from_this<Rest::Impl> {
  // Sends the request once with the given access token.
  using Attempt = std::function<void(const std::string& bearer, detail::HttpCall::Callback)>;

  Impl(asio::io_context& io, ClientOptions o, std::function<void(const Tokens&)> on_tokens)
      : ex_(asio::make_strand(io)), options_(std::move(o)), auth_(std::make_shared<Auth>(ex_, options_, on_tokens)) {}

  // Gets an access token if there is no usable one, sends, and on 401 gets a new one and sends
  // again, at most kMaxRenewals times: the first renewal may only adopt tokens reloaded from
  // elsewhere (ClientOptions::reload_tokens), whose access token can have expired too.
  static constexpr int kMaxRenewals = 2;

  void authorized(Attempt attempt, Callback done, int renewals = 0) {
    if (auth_->access_token_usable()) return send(std::move(attempt), std::move(done), renewals);
    auth_->obtain([self = shared_from_this(), attempt, done, renewals](const Auth::Result& r) {
      if (r.outcome != Auth::Result::Outcome::ok) return done(from_auth(r));
      self->send(attempt, done, renewals);
    });
  }

  void send(Attempt attempt, Callback done, int renewals) {
    std::string bearer = auth_->access_token();
    attempt(bearer, [self = shared_from_this(), attempt, done, renewals, bearer](HttpResult r) {
      if (!r.ec && r.status == 401 && renewals < kMaxRenewals) {
        // Only the token that was refused is dropped: concurrent calls refused with the same old
        // token must not discard the new one another call has just obtained.
        if (self->auth_->access_token() == bearer) self->auth_->forget_access_token();
        return self->authorized(attempt, done, renewals + 1);
      }
      done(from_http(std::move(r)));
    });
  }

  Attempt json_attempt(http::verb verb, std::string target, std::string body) {
    return [self = shared_from_this(), verb, target = std::move(target), body = std::move(body)](
               const std::string& bearer, detail::HttpCall::Callback cb) {
      detail::http_call(self->ex_, self->options_, verb, target, body, bearer, std::move(cb));
    };
  }

  asio::strand<asio::io_context::executor_type> ex_;
  ClientOptions options_;
  std::shared_ptr<Auth> auth_;
};

Rest::Rest(asio::io_context& io, ClientOptions options, std::function<void(const Tokens&)> on_tokens)
    : impl_(std::make_shared<Impl>(io, std::move(options), std::move(on_tokens))) {}

Rest::~Rest() = default;

void Rest::authenticate(Callback done) {
  asio::post(impl_->ex_, [impl = impl_, done = std::move(done)] {
    impl->auth_->obtain([done](const Auth::Result& r) { done(from_auth(r)); });
  });
}

void Rest::request(const std::string& method, std::string target, std::string json_body, Callback done) {
  const http::verb verb = http::string_to_verb(method);
  asio::post(impl_->ex_, [impl = impl_, verb, method, target = std::move(target), body = std::move(json_body),
                          done = std::move(done)]() mutable {
    if (verb == http::verb::unknown) return done(RestResult{0, {}, "unknown HTTP method " + method, false});
    impl->authorized(impl->json_attempt(verb, std::move(target), std::move(body)), std::move(done));
  });
}

void Rest::upload_file(std::string path, Progress progress, Callback done) {
  asio::post(impl_->ex_, [impl = impl_, path = std::move(path), progress = std::move(progress),
                          done = std::move(done)]() mutable {
    // A retry after a 401 sends the file again from its start.
    auto attempt = [impl, path, progress](const std::string& bearer, detail::HttpCall::Callback cb) {
      std::make_shared<detail::Upload>(impl->ex_, impl->options_, path, bearer, progress, std::move(cb))->run();
    };
    impl->authorized(std::move(attempt), std::move(done));
  });
}

void Rest::logout(Callback done) {
  asio::post(impl_->ex_, [impl = impl_, done = std::move(done)]() mutable {
    // The body is made when the request goes out: a refresh on the way rotates the token.
    auto attempt = [impl](const std::string& bearer, detail::HttpCall::Callback cb) {
      JsonWriter w;
      w.begin_object().field("refresh_token", impl->auth_->refresh_token()).end_object();
      detail::http_call(impl->ex_, impl->options_, http::verb::post, "/api/auth/logout", w.take(), bearer,
                        std::move(cb));
    };
    impl->authorized(std::move(attempt), std::move(done));
  });
}

}  // namespace parley::client
