// Domain values -> the JSON shapes of PROTOCOL.md. Every outgoing object and frame is built
// here, so a field name is spelled in exactly one place.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/types.hpp"
#include "protocol/api_error.hpp"
#include "util/json_writer.hpp"

namespace parley {

enum class PresenceStatus { online, away, offline };
std::string_view to_string(PresenceStatus status);
// "online", "away" or "offline"; nullopt for anything else.
std::optional<PresenceStatus> parse_presence_status(std::string_view text);

struct MemberView {
  User user;
  PresenceStatus status = PresenceStatus::offline;
  Seq read_seq = 0;  // the member's read receipt in the room (0: none yet)
};

// What a room looks like to one viewer.
struct RoomView {
  Room room;
  bool joined = false;
  std::int64_t online_count = 0;
  std::optional<Message> last_message;
};

struct AuthReply {
  User user;
  std::string access_token;
  std::string refresh_token;
  std::int64_t expires_in_s = 0;
};

// ---- objects
void write_message_fields(JsonWriter& w, const Message& m);  // the fields only, no braces
std::string message_json(const Message& m);
std::string room_json(const RoomView& view);
std::string rooms_json(const std::vector<RoomView>& views);
std::string members_json(const std::vector<MemberView>& members, const std::vector<TimeMs>& last_seen);
// {"messages":[...],"has_more":bool}; the compatibility API's /getMessages has no has_more.
std::string history_json(const HistoryPage& page, bool with_has_more = true);
std::string user_json(const User& user);
std::string auth_json(const AuthReply& reply);
std::string error_json(const ApiError& error);  // REST error body
// The reply to POST /api/upload-file.
std::string upload_json(const StoredFile& file);
// "/api/files/<name>": where a stored file (or thumbnail) is served.
std::string file_url(std::string_view name);

// ---- WebSocket frames (server -> client)
std::string hello_frame(const User& user, int heartbeat_s);
std::string joined_frame(RoomId room, Seq last_seq, const std::vector<MemberView>& members, bool truncated);
std::string message_frame(std::string_view type, const Message& m);  // "message" or "message_updated"
std::string message_deleted_frame(const Message& m);
std::string ack_frame(const Message& m);
std::string typing_frame(bool start, RoomId room, const User& typist);
std::string presence_frame(const User& user, PresenceStatus status, TimeMs last_seen, std::optional<RoomId> room);
// member_joined carries the newcomer's status (an addition to PROTOCOL.md: someone who joined
// over REST without a connection is offline); member_left has none.
std::string member_joined_frame(RoomId room, const User& user, PresenceStatus status);
std::string member_left_frame(RoomId room, const User& user);
std::string read_frame(RoomId room, const User& reader, Seq seq);
std::string pong_frame();
std::string error_frame(std::string_view code, std::string_view message, std::string_view ref = {});

}  // namespace parley
