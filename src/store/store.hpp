// The persistence seam. SQLite (embedded default) implements it today, PostgreSQL later.
// Every method is synchronous and thread-safe; callers on I/O threads must only use it for
// short reads (writes of messages go through CommitQueue, which batches them).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/types.hpp"

namespace parley {

// What a stored name (a /api/files/<name> URL) refers to: a file, or the thumbnail of one.
struct FileLookup {
  StoredFile file;
  bool is_thumbnail = false;  // the name was file.thumbnail_name: serve the thumbnail's bytes
};

// Uploads by one user in a window.
struct UploadUsage {
  std::int64_t files = 0;
  std::int64_t bytes = 0;  // sum of StoredFile::size (thumbnails not counted)
};

class Store {
 public:
  virtual ~Store() = default;

  // ---- users
  // nullopt when the name is taken (names are unique case-insensitively).
  virtual std::optional<User> create_user(std::string_view username, std::string_view password_hash, TimeMs now) = 0;
  virtual std::optional<UserCredentials> find_credentials(std::string_view username) = 0;  // case-insensitive
  virtual std::optional<User> find_user(UserId id) = 0;
  virtual std::optional<User> find_user_by_name(std::string_view username) = 0;  // case-insensitive
  virtual void set_last_seen(UserId id, TimeMs when) = 0;

  // ---- refresh tokens (one row per issued token, grouped by session_id)
  virtual void insert_refresh_token(const RefreshToken& token) = 0;
  virtual std::optional<RefreshToken> find_refresh_token(std::string_view token_hash) = 0;
  // Atomically marks an unused token used. False when it was already used (a replay).
  virtual bool consume_refresh_token(std::string_view token_hash) = 0;
  virtual void revoke_session(std::string_view session_id) = 0;

  // ---- rooms and membership
  // Creates the room and makes the creator its first member, in one transaction.
  virtual Room create_room(std::string_view name, bool is_private, UserId creator, std::string_view invite_code,
                           TimeMs now) = 0;
  virtual std::optional<Room> find_room(RoomId id) = 0;
  virtual std::optional<Room> find_room_by_invite(std::string_view invite_code) = 0;
  // All public rooms plus the private rooms `viewer` belongs to, by id.
  virtual std::vector<Room> list_visible_rooms(UserId viewer) = 0;
  virtual bool add_member(RoomId room, UserId user, TimeMs now) = 0;  // true when newly added
  virtual bool remove_member(RoomId room, UserId user) = 0;           // true when it was a member
  virtual bool is_member(RoomId room, UserId user) = 0;
  virtual std::vector<User> list_members(RoomId room) = 0;  // by user id
  virtual std::vector<RoomId> rooms_of(UserId user) = 0;

  // ---- uploaded files (metadata only; the bytes are the caller's)
  // File names and thumbnail names share one namespace: a name already in use as either a
  // file's name or a thumbnail_name (or name == thumbnail_name) is refused with StoreError, as
  // are an unknown uploader, an empty name, a negative size and a kind outside
  // image|video|audio|document|file. With >= 128 random bits a collision means a bug.
  virtual void insert_file(const StoredFile& file) = 0;
  // By stored name only; a thumbnail's name is not found here.
  virtual std::optional<StoredFile> find_file(std::string_view name) = 0;
  // By stored name or thumbnail name (what GET /api/files/<name> serves).
  virtual std::optional<FileLookup> find_file_or_thumbnail(std::string_view name) = 0;
  // Files uploaded by `user` with created_at >= since, and their total size.
  // since = 0: all time (the per-user quota).
  virtual UploadUsage upload_usage(UserId user, TimeMs since) = 0;

  // ---- messages
  // Stores a batch in ONE transaction (group commit): assigns ids and gapless per-room seqs in
  // batch order. A draft whose (sender_id, client_id) was stored before, earlier in the batch
  // included, is not written again: its result is the original with duplicate = true (it may be
  // in another room: idempotency is per (user, client_id)). A draft for an unknown room or
  // sender fails the whole batch, so callers check membership first; likewise a draft whose
  // attachment_name is not a stored file (callers check with find_file first).
  // On failure it throws and nothing of the batch is stored.
  // Every Message returned (here and below) has `attachment` filled from the files table when
  // it references a file; a deleted message never has one.
  virtual std::vector<AppendResult> append_messages(std::span<const MessageDraft> drafts) = 0;
  virtual HistoryPage history(const HistoryQuery& query) = 0;
  virtual std::optional<Message> find_message(MessageId id) = 0;
  virtual std::optional<Message> last_message(RoomId room) = 0;
  // nullopt for unknown ids and for deleted messages (a tombstone is never edited back to life).
  virtual std::optional<Message> edit_message(MessageId id, std::string_view content, TimeMs when) = 0;
  // Tombstones the message: deleted = true, content emptied and the attachment reference dropped
  // for good (the file itself stays: it may be referenced elsewhere, its URL stays valid).
  // message_type is kept. Deleting a tombstone returns it unchanged.
  virtual std::optional<Message> delete_message(MessageId id, TimeMs when) = 0;

  // ---- read receipts (only ever move forward)
  virtual void set_read(const ReadReceipt& receipt) = 0;
  virtual Seq read_seq(RoomId room, UserId user) = 0;
  // Every receipt of the room (members who never sent one have none), by user id.
  virtual std::vector<ReadReceipt> read_receipts(RoomId room) = 0;
};

}  // namespace parley
