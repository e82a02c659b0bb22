#include "api.hpp"

#include <algorithm>
#include <cctype>

#include "failure.hpp"

namespace parley::cli {

namespace {

// The server's `{"error":{"message"}}`, or the status.
std::string server_message(const client::RestResult& r) {
  simdjson::dom::parser parser;
  std::string_view message;
  if (parser.parse(r.body).at_pointer("/error/message").get_string().get(message) == simdjson::SUCCESS) {
    return std::string(message);
  }
  return "HTTP " + std::to_string(r.status);
}

bool same_server(const client::ClientOptions& a, const client::ClientOptions& b) {
  return a.host == b.host && a.port == b.port && a.tls == b.tls;
}

}  // namespace

bool is_id(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

client::ClientOptions connection_options(const std::string& url, const GlobalOptions& global) {
  client::ClientOptions options;
  if (!options.set_url(url)) {
    throw Failure(kUsage, "not a server URL: " + url + " (expected http://HOST[:PORT], https://, ws:// or wss://)");
  }
  options.ca_file = global.ca_file;
  options.request_timeout = global.timeout;
  return options;
}

Failure failure_of(const client::RestResult& r, const std::string& server) {
  if (r.auth_failed) {
    if (r.status == 0) return Failure(kAuth, "not logged in: " + r.error);
    return Failure(kAuth, "the stored login was rejected (" + server_message(r) +
                              "): it has expired or was revoked; run `parley-cli login` again");
  }
  if (r.status == 0) return Failure(kUnreachable, "cannot reach the server at " + server + ": " + r.error);
  const std::string message = server_message(r);
  if (r.status == 401) return Failure(kAuth, message);
  if (r.status == 403 || r.status == 404) return Failure(kNotFound, message);
  if (r.status >= 500) return Failure(kServerError, "the server failed: " + message);
  return Failure(kRefused, message);
}

Api::Api(const GlobalOptions& global) : global_(global) {
  auto stored = load_credentials();
  if (!stored) throw Failure(kAuth, "not logged in: run `parley-cli login USERNAME` first");
  credentials_ = *stored;
  options_ = connection_options(credentials_.server, global_);
  if (!global_.server.empty() && !same_server(connection_options(global_.server, global_), options_)) {
    throw Failure(kAuth, "not logged in to " + global_.server + " (the stored login is for " + credentials_.server +
                             "): run `parley-cli login` with that server");
  }
  options_.username = credentials_.username;
  options_.access_token = credentials_.access_token;
  options_.refresh_token = credentials_.refresh_token;
  // Another parley-cli (a `tail` in another terminal, say) may have refreshed the stored login
  // since this one read it: take its tokens rather than spend a refresh token already used, which
  // would revoke the login.
  options_.reload_tokens = [this]() -> std::optional<client::Tokens> {
    try {
      const auto stored = load_credentials();
      if (!stored || stored->server != credentials_.server || stored->username != credentials_.username) {
        return std::nullopt;
      }
      credentials_.access_token = stored->access_token;
      credentials_.refresh_token = stored->refresh_token;
      return client::Tokens{stored->access_token, stored->refresh_token, 0};
    } catch (const Failure&) {
      return std::nullopt;  // unreadable now: refresh with what we have
    }
  };
  rest_ = std::make_unique<client::Rest>(io_, options_, [this](const client::Tokens& t) { store_tokens(t); });
}

Api::~Api() = default;

void Api::store_tokens(const client::Tokens& tokens) {
  credentials_.access_token = tokens.access_token;
  if (!tokens.refresh_token.empty()) credentials_.refresh_token = tokens.refresh_token;
  save_credentials(credentials_);
}

client::ClientOptions Api::client_options() const {
  client::ClientOptions options = options_;
  options.access_token = credentials_.access_token;
  options.refresh_token = credentials_.refresh_token;
  return options;
}

client::RestResult Api::wait(const std::function<void(client::Rest::Callback)>& start) {
  client::RestResult result;
  start([&result](client::RestResult r) { result = std::move(r); });
  io_.restart();
  io_.run();  // until the call (and any refresh before it) is done: nothing else runs here
  return result;
}

simdjson::dom::element Api::parse(const client::RestResult& result) {
  if (!result.ok()) throw failure_of(result, credentials_.server);
  auto& parser = parsers_.emplace_back();
  simdjson::dom::element element;
  if (result.body.empty()) {
    if (parser.parse(std::string("null")).get(element) == simdjson::SUCCESS) return element;
  } else if (parser.parse(result.body).get(element) == simdjson::SUCCESS) {
    return element;
  }
  throw Failure(kServerError, "the server's reply is not JSON");
}

simdjson::dom::element Api::call(const std::string& method, const std::string& target, const std::string& body) {
  return parse(wait([&](client::Rest::Callback done) { rest_->request(method, target, body, std::move(done)); }));
}

simdjson::dom::element Api::upload(const std::string& path, client::Rest::Progress progress) {
  return parse(wait([&](client::Rest::Callback done) { rest_->upload_file(path, progress, std::move(done)); }));
}

void Api::logout() {
  parse(wait([&](client::Rest::Callback done) { rest_->logout(std::move(done)); }));
}

client::RoomId Api::room_id(const std::string& room) {
  if (is_id(room)) {
    try {
      return std::stoll(room);
    } catch (const std::out_of_range&) {
      throw Failure(kNotFound, "no room " + room);
    }
  }
  client::RoomId found = 0;
  for (auto r : call("GET", "/api/rooms")["rooms"].get_array()) {
    std::string_view name;
    if (r["name"].get_string().get(name) != simdjson::SUCCESS || name != room) continue;
    if (found != 0) throw Failure(kUsage, "more than one room is named \"" + room + "\": give its id");
    found = r["id"].get_int64().value_unsafe();
  }
  if (found == 0) throw Failure(kNotFound, "no room named \"" + room + "\" (see `parley-cli rooms`)");
  return found;
}

std::string Api::absolute_url(const std::string& path) const {
  const std::string scheme = options_.tls ? "https://" : "http://";
  const bool v6 = options_.host.find(':') != std::string::npos;
  return scheme + (v6 ? "[" + options_.host + "]" : options_.host) + ":" + std::to_string(options_.port) + path;
}

}  // namespace parley::cli
