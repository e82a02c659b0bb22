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

// An uploaded file's metadata. The bytes live under data_dir/files/<name> (and the thumbnail's
// under data_dir/files/<thumbnail_name>); the store keeps only this.
// (The `{}` initializers let designated initializers leave members out without
// -Wmissing-field-initializers, which -Werror makes fatal; the same on the new Message and
// MessageDraft members keeps existing initializers compiling.)
struct StoredFile {
  std::string name{};  // stored name: >= 128 random bits + extension, e.g. "k3J...x9.png"; also the capability
  UserId uploader_id = 0;
  std::int64_t size = 0;        // bytes
  std::string mime_type{};      // sniffed from the bytes, never the client's claim
  std::string kind{};           // image | video | audio | document | file
  std::string original_name{};  // the client's filename, sanitized by the caller; for display / Content-Disposition
  std::string sha256{};         // hex
  std::optional<int> width{}, height{};         // images
  std::optional<std::string> thumbnail_name{};  // stored name of the thumbnail file, if any
  std::optional<int> thumbnail_width{}, thumbnail_height{};
  std::optional<double> duration_s{};  // audio/video when known (may stay empty)
  TimeMs created_at = 0;
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
  // The referenced file's metadata, filled by the store from its own records. Never set on a
  // deleted message (a tombstone carries no attachment).
  std::optional<StoredFile> attachment{};
};

// A message accepted from a client, before the store gives it an id and a seq.
struct MessageDraft {
  RoomId room_id = 0;
  UserId sender_id = 0;
  std::string content;
  std::string message_type = "text";  // text, or the attachment's kind (the caller sets it)
  std::optional<std::string> client_id;
  TimeMs created_at = 0;
  // StoredFile::name of an uploaded file. The caller checks it exists (as it checks the room
  // and the sender): an unknown name fails the whole batch.
  std::optional<std::string> attachment_name{};
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
