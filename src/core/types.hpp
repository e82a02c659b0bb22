// Domain types shared by the core, the stores and the protocol layer.
// Plain values: no sockets, no SQL, no JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parley {

using UserId = std::int64_t;
using RoomId = std::int64_t;
using MessageId = std::int64_t;
using Seq = std::int64_t;
using TimeMs = std::int64_t;  // milliseconds since the Unix epoch, UTC

struct User {
  UserId id = 0;
  std::string username;
  TimeMs created_at = 0;
  TimeMs last_seen = 0;  // 0: never seen online
};

struct UserCredentials {
  User user;
  std::string password_hash;  // Argon2id string from crypto_pwhash_str
};

struct Room {
  RoomId id = 0;
  std::string name;
  bool is_private = false;
  UserId created_by = 0;
  TimeMs created_at = 0;
  std::string invite_code;  // only meaningful for private rooms; shown to members only
  Seq last_seq = 0;
  std::int64_t member_count = 0;
};

struct Message {
  MessageId id = 0;
  Seq seq = 0;
  RoomId room_id = 0;
  UserId sender_id = 0;
  std::string sender;  // username at the time of reading
  std::string content;
  TimeMs created_at = 0;
  std::optional<TimeMs> edited_at;
  bool deleted = false;
  std::string message_type = "text";
  std::optional<std::string> client_id;
};

// A message accepted from a client, before the store gives it an id and a seq.
struct MessageDraft {
  RoomId room_id = 0;
  UserId sender_id = 0;
  std::string content;
  std::string message_type = "text";
  std::optional<std::string> client_id;
  TimeMs created_at = 0;
};

struct AppendResult {
  Message message;
  bool duplicate = false;  // client_id seen before: `message` is the original, nothing was written
};

struct HistoryQuery {
  RoomId room_id = 0;
  int limit = 50;
  std::optional<Seq> before_seq;  // exclusive upper bound
  std::optional<Seq> since_seq;   // exclusive lower bound
  std::optional<TimeMs> since;    // exclusive lower bound on created_at
};

struct HistoryPage {
  std::vector<Message> messages;  // ascending by seq
  bool has_more = false;
};

// One login: every refresh token rotated from it shares `session_id`.
struct RefreshToken {
  std::string token_hash;  // hex SHA-256 of the token; the token itself is never stored
  std::string session_id;
  UserId user_id = 0;
  TimeMs expires_at = 0;
  bool used = false;
  bool session_revoked = false;
};

struct ReadReceipt {
  RoomId room_id = 0;
  UserId user_id = 0;
  Seq seq = 0;
};

}  // namespace parley
