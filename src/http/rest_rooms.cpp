// /api/rooms...
#include "http/rest_api.hpp"
#include "protocol/json_input.hpp"

namespace parley {

namespace http = boost::beast::http;

namespace {

HttpReply room_reply(int status, const Result<RoomView>& view) {
  return view.ok() ? json_reply(status, room_json(view.value())) : error_reply(view.error());
}

}  // namespace

HttpReply RestApi::list_rooms(const User& me) {
  return json_reply(200, rooms_json(s_.chat.list_rooms(me)));
}

HttpReply RestApi::create_room(const HttpRequest& req, const User& me) {
  auto body = json_body(req);
  if (!body.ok()) return error_reply(body.error());
  const auto name = string_field(body.value(), "name");
  const auto is_private = bool_field(body.value(), "private");
  if (!name.ok()) return error_reply(ApiError::bad_request("\"name\" must be a string"));
  if (is_private.state == FieldState::wrong_type)
    return error_reply(ApiError::bad_request("\"private\" must be a boolean"));
  return room_reply(201, s_.chat.create_room(me, name.value, is_private.ok() && is_private.value));
}

HttpReply RestApi::join_by_invite(const HttpRequest& req, const User& me) {
  auto body = json_body(req);
  if (!body.ok()) return error_reply(body.error());
  const auto invite = string_field(body.value(), "invite");
  if (!invite.ok()) return error_reply(ApiError::bad_request("\"invite\" must be a string"));
  return room_reply(200, s_.chat.join_by_invite(me, invite.value));
}

// /api/rooms/{id}[/join|/leave|/members]
HttpReply RestApi::room_action(const HttpRequest& req, const Segments& seg, const User& me) {
  const auto id = parse_positive_id(seg[2]);
  if (!id) return error_reply(ApiError::not_found("room not found"));
  const auto method = req.method;
  if (seg.size() == 3 && method == http::verb::get) return room_reply(200, s_.chat.view_room(me, *id));
  if (seg.size() == 4) {
    if (seg[3] == "join" && method == http::verb::post) return room_reply(200, s_.chat.join_room(me, *id));
    if (seg[3] == "leave" && method == http::verb::post) {
      auto left = s_.chat.leave_room(me, *id);
      return left.ok() ? no_content() : error_reply(left.error());
    }
    if (seg[3] == "members" && method == http::verb::get) {
      auto members = s_.chat.members(me, *id);
      if (!members.ok()) return error_reply(members.error());
      std::vector<TimeMs> last_seen;
      for (const auto& m : members.value()) last_seen.push_back(s_.chat.presence().last_seen(m.user));
      return json_reply(200, members_json(members.value(), last_seen));
    }
  }
  return error_reply(ApiError::not_found("no such endpoint"));
}

}  // namespace parley
