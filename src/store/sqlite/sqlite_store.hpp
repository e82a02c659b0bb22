// The embedded default Store: one SQLite file in WAL mode.
//
// Concurrency: every write goes through ONE write connection under a mutex (SQLite allows one
// writer anyway; serialising here avoids SQLITE_BUSY). Reads lease a connection of their own from
// a pool, so under WAL they read a committed snapshot and never wait for the writer, including
// while a group commit is fsyncing.
//
// Behaviour beyond the Store contract, relied on by callers:
// - edit_message on a deleted message returns nullopt (a tombstone is never resurrected) and
//   changes nothing; delete_message on an already deleted message returns the tombstone unchanged.
// - create_room stores an invite code only for private rooms (public rooms get ""), and an empty
//   code is treated as none; find_room_by_invite("") is nullopt.
// - append_messages: a duplicate (sender_id, client_id) returns the original wherever it was
//   posted (its room_id may differ from the draft's). A draft for an unknown room or sender
//   fails the whole batch (StoreError): callers validate membership first.
// - Client ids are kept forever (the contract asks for at least 24 h).
// - Files: metadata rows are never deleted (deleting a message only drops its reference), and
//   messages.attachment_name is a foreign key to files(name): a draft naming an unknown file
//   fails the whole batch, like an unknown room. The files table CHECKs kind (image | video |
//   audio | document | file), size >= 0 and non-empty names.
// - Schema: a new file is created at kSchemaVersion directly; an older one is migrated step by
//   step (1 -> 2 adds files and messages.attachment_name, 2 -> 3 drops the index on
//   messages.created_at) in one transaction on open.
// Errors are thrown as StoreError (declared in sqlite_db.hpp) carrying SQLite's message.
#pragma once

#include <mutex>
#include <string>

#include "store/sqlite/sqlite_db.hpp"
#include "store/store.hpp"

namespace parley {

enum class SqliteSync {
  normal,  // WAL + synchronous=NORMAL: survives a process crash; a power loss may lose the last commits
  full,    // WAL + synchronous=FULL: every commit is fsynced before it returns (the server default)
};

class SqliteStore final : public Store {
 public:
  // Opens (creating if needed) the database file at `path` and migrates its schema.
  // `path` must be a file: readers use their own connections, so ":memory:" cannot work.
  // Throws StoreError when the file cannot be opened or was written by a newer schema.
  SqliteStore(const std::string& path, SqliteSync sync = SqliteSync::full);
  ~SqliteStore() override;

  static constexpr int kSchemaVersion = 3;  // PRAGMA user_version

  std::optional<User> create_user(std::string_view username, std::string_view password_hash, TimeMs now) override;
  std::optional<UserCredentials> find_credentials(std::string_view username) override;
  std::optional<User> find_user(UserId id) override;
  std::optional<User> find_user_by_name(std::string_view username) override;
  void set_last_seen(UserId id, TimeMs when) override;

  void insert_refresh_token(const RefreshToken& token) override;
  std::optional<RefreshToken> find_refresh_token(std::string_view token_hash) override;
  bool consume_refresh_token(std::string_view token_hash) override;
  void revoke_session(std::string_view session_id) override;

  Room create_room(std::string_view name, bool is_private, UserId creator, std::string_view invite_code,
                   TimeMs now) override;
  std::optional<Room> find_room(RoomId id) override;
  std::optional<Room> find_room_by_invite(std::string_view invite_code) override;
  std::vector<Room> list_visible_rooms(UserId viewer) override;
  bool add_member(RoomId room, UserId user, TimeMs now) override;
  bool remove_member(RoomId room, UserId user) override;
  bool is_member(RoomId room, UserId user) override;
  std::vector<User> list_members(RoomId room) override;
  std::vector<RoomId> rooms_of(UserId user) override;

  void insert_file(const StoredFile& file) override;
  std::optional<StoredFile> find_file(std::string_view name) override;
  std::optional<FileLookup> find_file_or_thumbnail(std::string_view name) override;
  UploadUsage upload_usage(UserId user, TimeMs since) override;

  std::vector<AppendResult> append_messages(std::span<const MessageDraft> drafts) override;
  HistoryPage history(const HistoryQuery& query) override;
  std::optional<Message> find_message(MessageId id) override;
  std::optional<Message> last_message(RoomId room) override;
  std::optional<Message> edit_message(MessageId id, std::string_view content, TimeMs when) override;
  std::optional<Message> delete_message(MessageId id, TimeMs when) override;

  void set_read(const ReadReceipt& receipt) override;
  Seq read_seq(RoomId room, UserId user) override;
  std::vector<ReadReceipt> read_receipts(RoomId room) override;

 private:
  std::mutex write_mutex_;  // guards writer_ (and so every write transaction)
  sqlite::Connection writer_;
  sqlite::ConnectionPool readers_;
};

}  // namespace parley
