// libparley-client, REST part: authenticated calls to the server's HTTP API (docs/API.md) and
// streamed file uploads, for the requests a WebSocket does not carry (rooms, members, history,
// invites, uploads, ...).
//
// Authentication works as in Client: the access token of ClientOptions is used as
// `Authorization: Bearer`; when there is none (or it has expired), the refresh token or else the
// username and password get one first. When the server answers 401, the token is renewed and
// the request sent again (twice at most: see ClientOptions::reload_tokens). Every new pair of tokens is reported to
// `on_tokens`: persist them, because the old refresh token stops working the moment it has been used. One refresh is in
// flight at most, however many calls are waiting.
//
// A Rest and a Client have their own tokens: do not give both the same refresh token while both
// may refresh (the second use of a refresh token revokes the whole login). Use one after the
// other, passing on the newest tokens, or log in twice.
//
// Threading: like Client. Calls may come from any thread; callbacks run on a strand of the
// io_context, which the application runs. Destroy the Rest after its io_context stopped running.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "parley/client.hpp"

namespace parley::client {

struct RestResult {
  int status = 0;     // the HTTP status; 0 when no answer came (see error)
  std::string body;   // the answer's body: JSON (an error object on 4xx/5xx), empty for 204
  std::string error;  // when status is 0, or when auth_failed: what went wrong, for people
  // The password or refresh token was refused (or there were none): the request was not sent.
  // status and body are then those of the refused login, register or refresh.
  bool auth_failed = false;

  bool ok() const { return status >= 200 && status < 300; }
};

class Rest {
 public:
  using Callback = std::function<void(RestResult)>;
  // Bytes of the file sent so far, and the file's size.
  using Progress = std::function<void(std::uint64_t sent, std::uint64_t total)>;

  // Uses host, port, tls, the credentials (username/password/register_user, access_token,
  // refresh_token) and request_timeout of `options`.
  Rest(boost::asio::io_context& io, ClientOptions options, std::function<void(const Tokens&)> on_tokens = {});
  ~Rest();
  Rest(const Rest&) = delete;
  Rest& operator=(const Rest&) = delete;

  // Logs in (or registers, with register_user) with the username and password, or refreshes with
  // the refresh token when there is one. On success the body is the server's token reply, with
  // `user`.
  void authenticate(Callback done);

  // An authenticated request: `method` is GET, POST, PATCH, PUT or DELETE, `target` the path and
  // query (`/api/rooms`), `json_body` the body or empty.
  void request(const std::string& method, std::string target, std::string json_body, Callback done);

  // POST /api/upload-file: streams the file at `path` as the multipart `file` field, with
  // `filename` = its last path component. The file is read in chunks, never whole. `progress`
  // (optional) follows the bytes sent. A file that cannot be opened gives status 0 and an error.
  // The reply's body is the stored file (`url`, `filename`, ...), to attach to a message.
  void upload_file(std::string path, Progress progress, Callback done);

  // POST /api/auth/logout with the current refresh token: the login ends on the server.
  void logout(Callback done);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace parley::client
