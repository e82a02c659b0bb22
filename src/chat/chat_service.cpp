#include "chat/chat_service.hpp"

#include <algorithm>

#include "auth/sodium.hpp"
#include "util/clock.hpp"
#include "util/text.hpp"

namespace parley {

namespace {

// Invite codes are capabilities: 128 random bits. Hex, not base64url: people paste them into
// command lines and select them with a double click, where a leading '-' reads as an option
// and '-'/'_' break the selection.
std::string new_invite_code() {
  return random_hex(16);
}

}  // namespace

ChatService::ChatService(Store& store, CommitQueue& commits, Bus& bus, Presence& presence, Typing& typing,
                         MediaService& media, ChatLimits limits)
    : store_(store),
      commits_(commits),
      bus_(bus),
      presence_(presence),
      typing_(typing),
      media_(media),
      limits_(limits),
      message_limiter_(limits.messages),
      status_limiter_(limits.status_changes),
      call_limiter_(limits.call_signals) {}

void ChatService::publish_room(RoomId room, std::string frame, Seq seq) {
  BusEvent e;
  e.room = room;
  e.seq = seq;
  e.frame = share(std::move(frame));
  bus_.publish(std::move(e));
}

// ---------------------------------------------------------------- rooms

RoomView ChatService::make_view(const Room& room, bool joined) {
  RoomView v;
  v.room = room;
  v.joined = joined;
  v.last_message = store_.last_message(room.id);
  for (const auto& m : store_.list_members(room.id)) {
    if (presence_.status_of(m.id) != PresenceStatus::offline) ++v.online_count;
  }
  return v;
}

Result<RoomView> ChatService::create_room(const User& actor, std::string_view name, bool is_private) {
  const auto trimmed = trim(name);
  const auto chars = count_code_points(trimmed);
  if (chars < 1 || chars > static_cast<std::size_t>(limits_.max_room_name_chars)) {
    return ApiError::bad_request("name must be 1-" + std::to_string(limits_.max_room_name_chars) + " characters");
  }
  const Room room = store_.create_room(trimmed, is_private, actor.id, is_private ? new_invite_code() : "", now_ms());
  return make_view(room, true);
}

std::vector<RoomView> ChatService::list_rooms(const User& actor) {
  std::vector<RoomView> views;
  const auto mine = store_.rooms_of(actor.id);
  for (const auto& room : store_.list_visible_rooms(actor.id)) {
    const bool joined = std::find(mine.begin(), mine.end(), room.id) != mine.end();
    views.push_back(make_view(room, joined));
  }
  return views;
}

Result<RoomAccess> ChatService::visible_room(const User& actor, RoomId id) {
  auto room = store_.find_room(id);
  if (!room) return ApiError::not_found("room not found");
  const bool member = store_.is_member(id, actor.id);
  // A private room's existence is not revealed to outsiders.
  if (room->is_private && !member) return ApiError::not_found("room not found");
  return RoomAccess{std::move(*room), member};
}

Result<Room> ChatService::member_room(const User& actor, RoomId id) {
  auto access = visible_room(actor, id);
  if (!access.ok()) return access.error();
  if (!access.value().member) return ApiError::forbidden("not a member of this room");
  return std::move(access.value().room);
}

Result<RoomView> ChatService::view_room(const User& actor, RoomId id) {
  auto access = visible_room(actor, id);
  if (!access.ok()) return access.error();
  return make_view(access.value().room, access.value().member);
}

Result<RoomView> ChatService::join_room(const User& actor, RoomId id) {
  auto access = visible_room(actor, id);
  if (!access.ok()) return access.error();
  // Private rooms are visible only to members, who are in already: joining them is by invite.
  if (!access.value().member && store_.add_member(id, actor.id, now_ms())) {
    publish_room(id, member_joined_frame(id, actor, presence_.status_of(actor.id)));
  }
  auto room = store_.find_room(id);
  if (!room) return ApiError::not_found("room not found");
  return make_view(*room, true);
}

Result<RoomView> ChatService::join_by_invite(const User& actor, std::string_view invite) {
  auto room = invite.empty() ? std::nullopt : store_.find_room_by_invite(invite);
  if (!room || !room->is_private) return ApiError::not_found("no room with this invite");
  if (store_.add_member(room->id, actor.id, now_ms())) {
    publish_room(room->id, member_joined_frame(room->id, actor, presence_.status_of(actor.id)));
    room = store_.find_room(room->id);
    if (!room) return ApiError::not_found("room not found");
  }
  return make_view(*room, true);
}

Result<void> ChatService::leave_room(const User& actor, RoomId id) {
  auto access = visible_room(actor, id);
  if (!access.ok()) return access.error();
  if (store_.remove_member(id, actor.id)) {
    typing_.stop(id, actor);
    BusEvent unsubscribe;
    unsubscribe.kind = BusEvent::Kind::unsubscribe_user;
    unsubscribe.room = id;
    unsubscribe.user = actor.id;
    bus_.publish(std::move(unsubscribe));
    publish_room(id, member_left_frame(id, actor));
  }
  return ok_result();
}

std::vector<MemberView> ChatService::member_views(RoomId id) {
  // Both lists are ordered by user id: one merge pass. (A receipt can outlive its membership.)
  const auto receipts = store_.read_receipts(id);
  auto receipt = receipts.begin();
  std::vector<MemberView> views;
  for (auto& user : store_.list_members(id)) {
    while (receipt != receipts.end() && receipt->user_id < user.id) ++receipt;
    const Seq read_seq = receipt != receipts.end() && receipt->user_id == user.id ? receipt->seq : 0;
    const auto status = presence_.status_of(user.id);
    views.push_back(MemberView{.user = std::move(user), .status = status, .read_seq = read_seq});
  }
  return views;
}

Result<std::vector<MemberView>> ChatService::members(const User& actor, RoomId id) {
  auto room = member_room(actor, id);
  if (!room.ok()) return room.error();
  return member_views(id);
}

// ---------------------------------------------------------------- messages

Result<std::string> ChatService::valid_content(std::string_view content, bool has_attachment) const {
  const auto trimmed = trim(content);
  const auto chars = count_code_points(trimmed);
  if ((chars < 1 && !has_attachment) || chars > static_cast<std::size_t>(limits_.max_content_chars)) {
    return ApiError::bad_request("content must be 1-" + std::to_string(limits_.max_content_chars) +
                                 " characters after trimming");
  }
  return std::string(trimmed);
}

void ChatService::send_message(const User& actor, SendRequest request, SendDone done) {
  std::optional<StoredFile> file;
  if (request.attachment) {
    auto found = media_.attachment(*request.attachment);
    if (!found.ok()) return done(found.error());
    file = std::move(found.value());
  }
  auto content = valid_content(request.content, file.has_value());
  if (!content.ok()) return done(content.error());
  if (request.client_id && (request.client_id->empty() ||
                            request.client_id->size() > static_cast<std::size_t>(limits_.max_client_id_bytes))) {
    return done(ApiError::bad_request("client_id must be 1-" + std::to_string(limits_.max_client_id_bytes) + " bytes"));
  }
  if (!request.membership_checked) {
    auto room = member_room(actor, request.room_id);
    if (!room.ok()) return done(room.error());
  }
  const auto decision = message_limiter_.take(actor.id, std::chrono::steady_clock::now());
  if (!decision.allowed) return done(ApiError::rate_limited(decision.retry_after_seconds()));

  MessageDraft draft;
  draft.room_id = request.room_id;
  draft.sender_id = actor.id;
  draft.content = std::move(content.value());
  draft.client_id = std::move(request.client_id);
  draft.created_at = now_ms();
  if (file) {
    // The server's own record decides what the attachment is, never the client's description.
    draft.message_type = file->kind;
    draft.attachment_name = file->name;
  }
  commits_.submit(std::move(draft), [this, actor, done = std::move(done)](const std::optional<AppendResult>& result) {
    if (!result) return done(ApiError::internal());
    // The sender hears `ack` before its own copy of the broadcast: `done` posts to the
    // sender's thread before the publish does.
    done(*result);
    if (!result->duplicate) {
      const Message& m = result->message;
      publish_room(m.room_id, message_frame("message", m), m.seq);
      typing_.stop(m.room_id, actor);
    }
  });
}

Result<HistoryPage> ChatService::history(const User& actor, const HistoryQuery& query) {
  auto room = member_room(actor, query.room_id);
  if (!room.ok()) return room.error();
  return store_.history(query);
}

Result<Message> ChatService::own_message(const User& actor, MessageId id) {
  auto message = store_.find_message(id);
  if (!message) return ApiError::not_found("message not found");
  auto room = member_room(actor, message->room_id);
  if (!room.ok()) return ApiError::not_found("message not found");
  if (message->sender_id != actor.id) return ApiError::forbidden("not your message");
  return std::move(*message);
}

Result<Message> ChatService::edit_message(const User& actor, MessageId id, std::string_view content) {
  auto message = own_message(actor, id);
  if (!message.ok()) return message.error();
  auto valid = valid_content(content, message.value().attachment.has_value());
  if (!valid.ok()) return valid.error();
  if (message.value().deleted) return ApiError::not_found("message was deleted");
  auto edited = store_.edit_message(id, valid.value(), now_ms());
  if (!edited) return ApiError::not_found("message was deleted");
  publish_room(edited->room_id, message_frame("message_updated", *edited));
  return std::move(*edited);
}

Result<void> ChatService::delete_message(const User& actor, MessageId id) {
  auto message = own_message(actor, id);
  if (!message.ok()) return message.error();
  if (message.value().deleted) return ok_result();  // deleting twice changes nothing
  auto deleted = store_.delete_message(id, now_ms());
  if (deleted) publish_room(deleted->room_id, message_deleted_frame(*deleted));
  return ok_result();
}

Result<void> ChatService::mark_read(const User& actor, RoomId room_id, Seq seq) {
  auto room = member_room(actor, room_id);
  if (!room.ok()) return room.error();
  if (seq < 1 || seq > room.value().last_seq) return ApiError::bad_request("seq is not a message of this room");
  if (seq <= store_.read_seq(room_id, actor.id)) return ok_result();  // receipts only move forward
  store_.set_read(ReadReceipt{room_id, actor.id, seq});
  publish_room(room_id, read_frame(room_id, actor, seq));
  return ok_result();
}

// ---------------------------------------------------------------- typing and presence

Result<void> ChatService::typing(const User& actor, RoomId room, bool start, bool membership_checked) {
  if (!membership_checked) {
    auto r = member_room(actor, room);
    if (!r.ok()) return r.error();
  }
  if (start) {
    typing_.start(room, actor);
  } else {
    typing_.stop(room, actor);
  }
  return ok_result();
}

void ChatService::typing_everywhere(const User& actor) {
  presence_.mark_typing(actor, std::chrono::steady_clock::now() + typing_.ttl());
  for (RoomId room : store_.rooms_of(actor.id)) typing_.start(room, actor);
}

Result<void> ChatService::set_status(const User& actor, PresenceStatus status, bool from_rest) {
  // Every change is announced to all the user's rooms: cap how fast a client can cause that.
  const auto decision = status_limiter_.take(actor.id, std::chrono::steady_clock::now());
  if (!decision.allowed) return ApiError::rate_limited(decision.retry_after_seconds());
  presence_.set_status(actor, status, from_rest);
  return ok_result();
}

}  // namespace parley
