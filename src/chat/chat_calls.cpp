// ChatService::relay_call: the server's whole part in WebRTC calls. Clients negotiate the
// call (SDP offers and answers, ICE candidates) through call_* frames; the server only checks
// who may talk to whom and passes the frames on. Media never touches it.
#include "chat/chat_service.hpp"

namespace parley {

Result<void> ChatService::relay_call(const User& actor, RoomId room, std::optional<UserId> to, std::string frame,
                                     bool membership_checked) {
  if (!membership_checked) {
    auto r = member_room(actor, room);
    if (!r.ok()) return r.error();
  }
  const auto decision = call_limiter_.take(actor.id, std::chrono::steady_clock::now());
  if (!decision.allowed) return ApiError::rate_limited(decision.retry_after_seconds());
  if (to) {
    if (*to == actor.id) return ApiError::bad_request("\"to\" must be another member of the room");
    if (!store_.is_member(room, *to)) return ApiError::not_found("\"to\" is not a member of this room");
    // Ringing someone who is not connected would only time out on the caller's side.
    if (presence_.connections_of(*to) == 0) return ApiError::not_found("\"to\" is not online");
  }
  BusEvent e;
  e.room = room;
  e.frame = share(std::move(frame));
  e.only_user = to.value_or(0);
  e.exclude_user = actor.id;
  bus_.publish(std::move(e));
  return ok_result();
}

}  // namespace parley
