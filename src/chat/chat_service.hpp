// The chat rules, in one place for every transport (REST, WebSocket, compatibility API):
// who may see, join and write to which room, what a valid message is, and which events each
// change produces. Thread-safe; no sockets, no JSON parsing, no SQL.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bus/bus.hpp"
#include "chat/presence.hpp"
#include "chat/typing.hpp"
#include "core/rate_limiter.hpp"
#include "core/result.hpp"
#include "media/media_service.hpp"
#include "protocol/wire.hpp"
#include "store/commit_queue.hpp"
#include "store/store.hpp"

namespace parley {

struct ChatLimits {
  int max_content_chars = 4000;
  int max_client_id_bytes = 128;
  int max_room_name_chars = 100;
  RateLimit messages{50, 20};
  RateLimit status_changes{20, 2};
  RateLimit call_signals{100, 20};  // call_* frames per user: one call setup takes a few dozen
};

// A room as one user may see it.
struct RoomAccess {
  Room room;
  bool member = false;
};

class ChatService {
 public:
  ChatService(Store& store, CommitQueue& commits, Bus& bus, Presence& presence, Typing& typing, MediaService& media,
              ChatLimits limits);

  // ---- rooms
  Result<RoomView> create_room(const User& actor, std::string_view name, bool is_private);
  std::vector<RoomView> list_rooms(const User& actor);
  // 404 for rooms that do not exist and for private rooms the actor is not in.
  Result<RoomAccess> visible_room(const User& actor, RoomId id);
  // visible_room + 403 unless the actor is a member.
  Result<Room> member_room(const User& actor, RoomId id);
  Result<RoomView> view_room(const User& actor, RoomId id);
  Result<RoomView> join_room(const User& actor, RoomId id);  // public rooms only
  Result<RoomView> join_by_invite(const User& actor, std::string_view invite);
  Result<void> leave_room(const User& actor, RoomId id);
  Result<std::vector<MemberView>> members(const User& actor, RoomId id);
  std::vector<MemberView> member_views(RoomId id);
  RoomView make_view(const Room& room, bool joined);

  // ---- messages
  struct SendRequest {
    RoomId room_id = 0;
    std::string content;
    std::optional<std::string> client_id;
    std::optional<std::string> attachment;  // an uploaded file's URL or stored name
    bool membership_checked = false;        // the caller already knows the sender is a member
  };
  using SendDone = std::function<void(Result<AppendResult>)>;
  // Validates, rate-limits and queues the message; `done` runs after the durable commit (on
  // the writer thread) or at once when the request is refused. Live delivery to the room is
  // published right after `done` runs.
  void send_message(const User& actor, SendRequest request, SendDone done);
  Result<HistoryPage> history(const User& actor, const HistoryQuery& query);
  Result<Message> edit_message(const User& actor, MessageId id, std::string_view content);
  Result<void> delete_message(const User& actor, MessageId id);
  Result<void> mark_read(const User& actor, RoomId room, Seq seq);

  // ---- typing and presence
  Result<void> typing(const User& actor, RoomId room, bool start, bool membership_checked = false);
  // Typing in every room of the user (the compatibility API's `typing` status).
  void typing_everywhere(const User& actor);
  // 429 when the user changes status faster than the signal limit allows.
  Result<void> set_status(const User& actor, PresenceStatus status, bool from_rest);

  // WebRTC call signalling (chat_calls.cpp): relays `frame` (built by the caller, with `from`)
  // to the connections of `to` that follow `room`, or without `to` to every other member's;
  // nothing is stored. The actor must be a member; `to` must be a member and connected.
  Result<void> relay_call(const User& actor, RoomId room, std::optional<UserId> to, std::string frame,
                          bool membership_checked);

  Presence& presence() { return presence_; }
  Store& store() { return store_; }

 private:
  // Content may be empty only when the message carries an attachment.
  Result<std::string> valid_content(std::string_view content, bool has_attachment) const;
  Result<Message> own_message(const User& actor, MessageId id);
  void publish_room(RoomId room, std::string frame, Seq seq = 0);

  Store& store_;
  CommitQueue& commits_;
  Bus& bus_;
  Presence& presence_;
  Typing& typing_;
  MediaService& media_;
  const ChatLimits limits_;
  RateLimiterById message_limiter_;
  RateLimiterById status_limiter_;
  RateLimiterById call_limiter_;
};

}  // namespace parley
