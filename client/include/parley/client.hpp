// libparley-client: an asynchronous C++ client for a Parley server (Boost.Asio/Beast).
//
// One Client holds one WebSocket connection (`/ws`) to one server and behaves like a good mobile
// client:
//   - it logs in over REST (or uses the tokens it is given), refreshes the access token before it
//     expires and when the server refuses it (HTTP 401 at the upgrade), and stops with an
//     `auth_failed` error event when the refresh token (or the password) is rejected;
//   - it joins and leaves rooms on that one connection; after a reconnect it re-joins every
//     joined room with `since_seq` = the highest seq it has seen there, and drops any message
//     whose seq it has already delivered (per room), so the application sees each message once,
//     in seq order;
//   - send() returns the message's client_id at once. Every send goes through an ordered queue:
//     while disconnected it waits there, and on reconnect the queue is sent again in order with
//     the same client_ids (the server deduplicates them). A message leaves the queue only when the
//     server acks it (or refuses it for good with an error frame whose ref is its client_id);
//   - it reconnects with exponential backoff and full jitter (backoff_delay below);
//   - it treats a connection on which nothing (no frame, no ping, no pong) arrived for
//     2 x heartbeat_s (from `hello`) as dead, closes it and reconnects; when idle for heartbeat_s
//     it sends a WebSocket ping itself so that a live server always answers in time;
//   - close() ends the session with close code 1000.
//
// Threading: the client runs on a strand of the io_context given to its constructor; the
// application runs that io_context. Every public member function may be called from any thread
// (work is posted to the strand). Every handler is called on the strand, never re-entrantly from
// a public call. Destroy the Client after its io_context has stopped running, or from a handler.
//
// Transport: ws:// and http://, or wss:// and https:// with ClientOptions::tls. Every connection
// the library makes (this WebSocket, and the REST calls of Client and Rest) is opened in one place,
// detail::Connector (client/src/connector.hpp). TLS is 1.2 or newer, and the server's certificate
// must verify for `host` against ClientOptions::ca_file, or the system's trusted CAs when that is
// empty. A handshake that fails (a certificate that does not verify, say) is a failed connection
// attempt like any other: disconnected/reconnecting events carry the reason.
//
// REST calls (rooms, history, uploads, ...) are in parley/rest.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>

namespace parley::client {

using RoomId = std::int64_t;
using Seq = std::int64_t;

// ---- Reconnect backoff --------------------------------------------------------------------

struct BackoffPolicy {
  std::chrono::milliseconds initial{1000};  // ceiling of the first attempt's delay
  std::chrono::milliseconds cap{60000};     // the ceiling never exceeds this
};

// The ceiling of attempt `attempt` (1-based): initial * 2^(attempt-1), at most cap.
// Attempt 0 is treated as 1.
std::chrono::milliseconds backoff_ceiling(const BackoffPolicy& policy, unsigned attempt);

// Full jitter: the delay of attempt `attempt` for a uniform random value `unit` in [0, 1]:
// unit * backoff_ceiling(policy, attempt), so always within [0, ceiling] (and [0, cap]).
// Pure: the same inputs give the same delay. `unit` outside [0, 1] is clamped.
std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, unsigned attempt, double unit);

// The same with `unit` drawn from `rng`.
std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, unsigned attempt, std::mt19937_64& rng);

// ---- Options ------------------------------------------------------------------------------

struct Tokens {
  std::string access_token;
  std::string refresh_token;
  std::int64_t expires_in_s = 0;  // lifetime of access_token in seconds (0: unknown)
};

struct ClientOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  bool tls = false;     // wss:// and https:// (see the header comment)
  std::string ca_file;  // with tls: trust only the CA certificates in this PEM file (empty: the system's)

  // Credentials: a login (username + password), or tokens from an earlier login, or both
  // (tokens are tried first). With register_user, the first authentication registers the user
  // (POST /api/auth/register) instead of logging in.
  std::string username;
  std::string password;
  bool register_user = false;
  std::string access_token;
  std::string refresh_token;

  // The access token is refreshed this long before it expires (at most a quarter of its
  // remaining time before), while the client runs, and also when the server refuses it (401).
  // The expiry comes from the server's expires_in, or for a token given in access_token from
  // its JWT `exp` claim (read, not verified).
  std::chrono::seconds refresh_lead{60};

  BackoffPolicy backoff;
  unsigned max_reconnect_attempts = 0;  // consecutive failed attempts before giving up; 0 = never

  // Deadline for one HTTP request, and for a WebSocket connection to deliver `hello`.
  std::chrono::milliseconds request_timeout{10000};

  // Optional, for tokens shared with other programs (a credentials file used by several
  // processes): called before the refresh token is spent. When it returns tokens whose refresh
  // token differs from the one held, they were refreshed elsewhere meanwhile; they are used
  // instead, without a request. Otherwise the old token would be used a second time, and a
  // refresh token used twice revokes the whole login.
  std::function<std::optional<Tokens>()> reload_tokens;

  // Sets host, port and tls from a base URL: `ws://` or `http://` (tls off, default port 80),
  // `wss://` or `https://` (tls on, default port 443), then `host[:port]` or `[v6addr][:port]`,
  // optionally followed by `/`. Returns false (and changes nothing) for anything else.
  bool set_url(std::string_view url);
};

// ---- Events -------------------------------------------------------------------------------

struct UserRef {
  std::int64_t id = 0;
  std::string username;
};

struct Connected {
  UserRef user;         // from `hello`
  int heartbeat_s = 0;  // from `hello`
};

struct Disconnected {
  // The WebSocket close code: the peer's (or 1000 after close()), 1006 when the connection
  // was lost without a close frame, including a heartbeat timeout.
  int code = 0;
  std::string reason;  // the close reason, or what went wrong ("heartbeat timeout", ...)
};

struct Reconnecting {
  unsigned attempt = 0;  // 1, 2, ... consecutive attempts since the last `hello`
  std::chrono::milliseconds delay{0};
  std::string reason;  // why the connection was lost or the last attempt failed
};

// A room member as `joined` lists them.
struct Member {
  std::int64_t id = 0;
  std::string username;
  std::string status;  // online, away, offline
  Seq read_seq = 0;    // their read receipt in the room (0: none); yours tells where you stopped
};

struct Joined {
  RoomId room_id = 0;
  Seq last_seq = 0;
  bool truncated = false;       // the replay skipped older messages: page them through history
  std::vector<Member> members;  // all of them, by user id
};

struct Message {
  std::int64_t id = 0;
  Seq seq = 0;
  RoomId room_id = 0;
  std::string sender;
  std::int64_t sender_id = 0;
  std::string content;
  std::string timestamp;
  std::optional<std::string> edited_at;
  bool deleted = false;
  std::string message_type;  // text, image, video, audio, document, file
  std::string attachment;    // the attachment object as JSON, empty when there is none
  std::optional<std::string> client_id;
};

struct Ack {
  std::string client_id;
  std::int64_t id = 0;
  Seq seq = 0;
  RoomId room_id = 0;
  std::string timestamp;
};

struct Typing {
  RoomId room_id = 0;
  std::string sender;
  std::int64_t sender_id = 0;
  bool typing = false;  // typing_start or typing_stop
};

struct Presence {
  std::int64_t user_id = 0;
  std::string username;
  std::string status;  // online, away, offline
  std::string last_seen;
  std::optional<RoomId> room_id;
};

struct MemberChange {
  RoomId room_id = 0;
  UserRef user;
  bool joined = false;  // member_joined or member_left
};

struct ReadReceipt {
  RoomId room_id = 0;
  std::int64_t user_id = 0;
  std::string username;
  Seq seq = 0;
};

struct MessageDeleted {
  RoomId room_id = 0;
  std::int64_t id = 0;
  Seq seq = 0;
};

// The REST API's message object (history, POST /api/messages) as a Message; nullopt when `json`
// is not a JSON object.
std::optional<Message> message_from_json(std::string_view json);
// A Message as the server's message object: the same fields in the same order (attachment as
// the server described it), so a program can pass on what it received.
std::string to_json(const Message& message);

// An `error` frame from the server (code as in PROTOCOL.md, ref = the client_id or frame type
// it answers), or a client-side failure with one of these codes:
//   auth_failed       the login or the refresh token was rejected; the client has stopped
//   reconnect_failed  max_reconnect_attempts reached; the client has stopped
struct Error {
  std::string code;
  std::string message;
  std::string ref;
};

// Every callback is optional.
struct Handlers {
  std::function<void(const Connected&)> on_connected;
  std::function<void(const Disconnected&)> on_disconnected;
  std::function<void(const Reconnecting&)> on_reconnecting;
  std::function<void(const Tokens&)> on_tokens;  // new tokens after a login or refresh: persist them
  std::function<void(const Joined&)> on_joined;
  std::function<void(const Message&)> on_message;
  std::function<void(const Ack&)> on_ack;
  std::function<void(const Typing&)> on_typing;
  std::function<void(const Presence&)> on_presence;
  std::function<void(const MemberChange&)> on_member;
  std::function<void(const ReadReceipt&)> on_read;
  std::function<void(const Message&)> on_message_updated;
  std::function<void(const MessageDeleted&)> on_message_deleted;
  std::function<void(const Error&)> on_error;
};

// ---- Client -------------------------------------------------------------------------------

class Client {
 public:
  Client(boost::asio::io_context& io, ClientOptions options, Handlers handlers);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Authenticates if needed and connects; reconnects by itself until close() or a fatal error.
  void start();

  // Follows a room on this connection (and after every reconnect). With since_seq, the server
  // replays the messages after it; without, the client resumes from what it has seen (or, for a
  // room it has not seen yet, starts with live messages).
  void join(RoomId room, std::optional<Seq> since_seq = std::nullopt);
  // Stops following a room (membership stays; see the REST leave).
  void leave(RoomId room);

  // Queues a message and returns its client_id (random, 128 bits, unique). It is sent now if
  // connected, else on reconnect, and resent with the same client_id until acked.
  std::string send(RoomId room, std::string text);

  void typing(RoomId room, bool started);
  void mark_read(RoomId room, Seq seq);
  void set_status(const std::string& status);  // online or away

  // Graceful end: sends close code 1000, stops reconnecting; on_disconnected{1000} follows when
  // the close handshake completes (if a connection was open). Queued unacked messages stay in
  // the queue and are not sent. start() may be called again afterwards.
  void close();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace parley::client
