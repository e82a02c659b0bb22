// The server as the commands see it: synchronous REST calls with the stored login, each failure
// turned into a Failure with the right exit code, and refreshed tokens written back at once.
#pragma once

#include <simdjson.h>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <string>

#include "credentials.hpp"
#include "failure.hpp"
#include "parley/client.hpp"
#include "parley/rest.hpp"

namespace parley::cli {

// The options every command has.
struct GlobalOptions {
  std::string server;   // --server or PARLEY_SERVER; empty: the stored login's server
  std::string ca_file;  // --ca-file (for https/wss)
  std::chrono::milliseconds timeout{10000};
};

inline constexpr const char* kDefaultServer = "http://127.0.0.1:8080";

// A room argument that is an id (digits only) rather than a name or an invite.
bool is_id(const std::string& text);

// ClientOptions for a server URL; throws Failure(kUsage) when it is not one.
client::ClientOptions connection_options(const std::string& url, const GlobalOptions& global);

// The Failure for a failed request: exit code by kind, the server's own error message.
Failure failure_of(const client::RestResult& result, const std::string& server);

class Api {
 public:
  // Needs a stored login for the server in use: throws Failure(kAuth) otherwise.
  explicit Api(const GlobalOptions& global);
  ~Api();

  // A JSON request (method GET, POST, ...); the reply's JSON, valid as long as this Api. A 204
  // gives null.
  simdjson::dom::element call(const std::string& method, const std::string& target, const std::string& body = {});
  simdjson::dom::element upload(const std::string& path, client::Rest::Progress progress);
  // Ends the login on the server (the local file is the caller's business).
  void logout();

  // A room argument: an id, or the exact name of a room listed by GET /api/rooms.
  client::RoomId room_id(const std::string& room);

  const Credentials& credentials() const { return credentials_; }
  // For a Client (WebSocket) used after this Api's calls: the server and the newest tokens.
  client::ClientOptions client_options() const;
  // Keeps and persists new tokens (the Rest's, and a Client's on_tokens).
  void store_tokens(const client::Tokens& tokens);
  // An absolute http(s) URL for a path the server gave (/api/files/...).
  std::string absolute_url(const std::string& path) const;

 private:
  client::RestResult wait(const std::function<void(client::Rest::Callback)>& start);
  simdjson::dom::element parse(const client::RestResult& result);

  GlobalOptions global_;
  Credentials credentials_;
  client::ClientOptions options_;
  boost::asio::io_context io_;
  std::unique_ptr<client::Rest> rest_;
  std::deque<simdjson::dom::parser> parsers_;  // one per reply, so earlier replies stay valid
};

}  // namespace parley::cli
