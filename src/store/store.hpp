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

class Store {
 public:
  virtual ~Store() = default;

  // ---- users
  // nullopt when the name is taken (names are unique case-insensitively).
  virtual std::optional<User> create_user(std::string_view username, std::string_view password_hash,
                                          TimeMs now) = 0;
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

  // ---- messages
  // Stores a batch in ONE transaction (group commit): assigns ids and gapless per-room seqs in
  // batch order. A draft whose (sender_id, client_id) was stored before, earlier in the batch
  // included, is not written again: its result is the original with duplicate = true (it may be
  // in another room: idempotency is per (user, client_id)). A draft for an unknown room or
  // sender fails the whole batch, so callers check membership first.
  // On failure it throws and nothing of the batch is stored.
  virtual std::vector<AppendResult> append_messages(std::span<const MessageDraft> drafts) = 0;
  virtual HistoryPage history(const HistoryQuery& query) = 0;
  virtual std::optional<Message> find_message(MessageId id) = 0;
  virtual std::optional<Message> last_message(RoomId room) = 0;
  // nullopt for unknown ids and for deleted messages (a tombstone is never edited back to life).
  virtual std::optional<Message> edit_message(MessageId id, std::string_view content, TimeMs when) = 0;
  // Tombstones the message: deleted = true, content emptied for good. Deleting a tombstone
  // returns it unchanged.
  virtual std::optional<Message> delete_message(MessageId id, TimeMs when) = 0;

  // ---- read receipts (only ever move forward)
  virtual void set_read(const ReadReceipt& receipt) = 0;
  virtual Seq read_seq(RoomId room, UserId user) = 0;
};

}  // namespace parley
