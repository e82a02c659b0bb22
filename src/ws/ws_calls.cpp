// call_* frames: WebRTC call signalling relayed between the members of a room (PROTOCOL.md).
// The frame goes on as the client sent it, with `from` set by the server; nothing is stored.
#include <string>

#include "protocol/json_input.hpp"
#include "util/json_writer.hpp"
#include "ws/ws_session.hpp"

namespace parley {

namespace {

constexpr std::size_t kMaxCallIdBytes = 128;

}  // namespace

bool WsSession::is_call_frame(std::string_view type) {
  return type == "call_invite" || type == "call_accept" || type == "call_reject" || type == "call_offer" ||
         type == "call_answer" || type == "call_ice" || type == "call_end";
}

void WsSession::on_call(Object frame, std::string_view type) {
  const auto room = room_of(frame, type);
  if (!room) return;
  const auto call_id = string_field(frame, "call_id");
  if (!call_id.ok() || call_id.value.empty() || call_id.value.size() > kMaxCallIdBytes) {
    return refuse(ApiError::bad_request("\"call_id\" must be a string of 1-128 bytes"), type);
  }
  const auto to = id_field(frame, "to");
  if (to.state == FieldState::wrong_type) return refuse(ApiError::bad_request("\"to\" must be a user id"), type);
  if (string_field(frame, "sdp").state == FieldState::wrong_type) {
    return refuse(ApiError::bad_request("\"sdp\" must be a string"), type);
  }

  JsonWriter w;
  w.begin_object();
  for (auto [key, value] : frame) {
    if (key == "from") continue;  // only the server says who is calling
    w.key(key).raw(simdjson::minify(value));
  }
  w.key("from").begin_object().field("id", login_.user.id).field("username", login_.user.username).end_object();
  w.end_object();

  auto result = services_.chat.relay_call(login_.user, *room, to.ok() ? std::optional<UserId>(to.value) : std::nullopt,
                                          w.take(), rooms_.contains(*room));
  if (!result.ok()) return refuse(result.error(), type);
  note_success();
}

}  // namespace parley
