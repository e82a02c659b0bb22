// The simple compatibility API: /sendMessage, /getMessages, /updateStatus, /getStatus.
// Same auth, errors and rules as the main API; ids may be given as numbers or strings, and
// users by id or username.
#include "http/rest_api.hpp"
#include "protocol/json_input.hpp"
#include "util/clock.hpp"

namespace parley {

namespace {

// `typing` (set with /updateStatus) shows for the typing TTL, then the presence status again.
std::string status_json(const User& user, const Presence& presence) {
  const std::string_view status = presence.is_typing(user.id) ? "typing" : to_string(presence.status_of(user.id));
  const TimeMs last_seen = presence.last_seen(user);
  JsonWriter w;
  w.begin_object().field("userId", user.id).field("username", user.username).field("status", status);
  w.key("last_seen");
  if (last_seen > 0) {
    w.value(format_rfc3339(last_seen));
  } else {
    w.null();
  }
  w.end_object();
  return w.take();
}

bool has_field(simdjson::dom::object obj, std::string_view key) {
  simdjson::dom::element el;
  return obj.at_key(key).get(el) == simdjson::SUCCESS && !el.is_null();
}

}  // namespace

std::optional<User> RestApi::find_user_ref(std::string_view text) {
  if (auto id = parse_positive_id(text)) {
    if (auto user = s_.store.find_user(*id)) return user;
  }
  return s_.store.find_user_by_name(text);
}

std::optional<User> RestApi::find_user_ref(simdjson::dom::object obj, std::string_view key) {
  const auto as_int = int_field(obj, key);
  if (as_int.ok() && as_int.value > 0) {
    if (auto user = s_.store.find_user(as_int.value)) return user;
  }
  const auto as_text = string_field(obj, key);
  if (as_text.ok()) return find_user_ref(as_text.value);
  return std::nullopt;
}

HttpReply RestApi::compat_send(const HttpRequest& req, const User& me) {
  auto body = json_body(req);
  if (!body.ok()) return error_reply(body.error());
  const auto message = string_field(body.value(), "message");
  const auto room = id_field(body.value(), "roomId");
  if (!message.ok()) return error_reply(ApiError::bad_request("\"message\" must be a string"));
  if (!room.ok()) return error_reply(ApiError::bad_request("\"roomId\" must be a room id"));
  if (!has_field(body.value(), "senderId")) return error_reply(ApiError::bad_request("\"senderId\" is required"));
  const auto sender = find_user_ref(body.value(), "senderId");
  if (!sender || sender->id != me.id) return error_reply(ApiError::forbidden("senderId must be the caller"));
  // The client's "timestamp" is not trusted: the server's clock orders history.
  ChatService::SendRequest request;
  request.room_id = room.value;
  request.content = std::string(message.value);
  auto sent = send_and_wait(me, std::move(request));
  return sent.ok() ? json_reply(201, message_json(sent.value())) : error_reply(sent.error());
}

HttpReply RestApi::compat_get_messages(const HttpRequest& req, const User& me) {
  HistoryQuery q;
  const std::string* room = req.param("roomId");
  const auto room_id = room ? parse_positive_id(*room) : std::nullopt;
  if (!room_id) return error_reply(ApiError::bad_request("\"roomId\" must be a room id"));
  q.room_id = *room_id;
  if (const std::string* limit = req.param("limit"); limit && !limit->empty()) {
    const auto n = parse_int(*limit);
    if (!n || *n < 1 || *n > 200) return error_reply(ApiError::bad_request("\"limit\" must be 1-200"));
    q.limit = static_cast<int>(*n);
  }
  if (const std::string* since = req.param("since"); since && !since->empty()) {
    q.since = parse_rfc3339(*since);
    if (!q.since) q.since = parse_int(*since);  // epoch milliseconds, as some clients send
    if (!q.since) return error_reply(ApiError::bad_request("\"since\" must be a timestamp"));
  }
  auto page = s_.chat.history(me, q);
  if (!page.ok()) return error_reply(page.error());
  return json_reply(200, history_json(page.value(), false));
}

HttpReply RestApi::compat_update_status(const HttpRequest& req, const User& me) {
  auto body = json_body(req);
  if (!body.ok()) return error_reply(body.error());
  const auto status = string_field(body.value(), "status");
  if (!has_field(body.value(), "userId")) return error_reply(ApiError::bad_request("\"userId\" is required"));
  const auto user = find_user_ref(body.value(), "userId");
  if (!user || user->id != me.id) return error_reply(ApiError::forbidden("userId must be the caller"));
  if (!status.ok()) return error_reply(ApiError::bad_request("\"status\" must be a string"));
  const std::string_view s = status.value;
  if (s == "typing") {
    s_.chat.typing_everywhere(me);  // expires by itself after the typing TTL
  } else {
    const auto chosen = parse_presence_status(s);
    if (!chosen) return error_reply(ApiError::bad_request("\"status\" must be online, away, offline or typing"));
    auto changed = s_.chat.set_status(me, *chosen, true);
    if (!changed.ok()) return error_reply(changed.error());
  }
  return json_reply(200, status_json(*user, s_.chat.presence()));
}

HttpReply RestApi::compat_get_status(const HttpRequest& req) {
  const std::string* ref = req.param("userId");
  if (!ref || ref->empty()) return error_reply(ApiError::bad_request("\"userId\" is required"));
  const auto user = find_user_ref(*ref);
  if (!user) return error_reply(ApiError::not_found("user not found"));
  return json_reply(200, status_json(*user, s_.chat.presence()));
}

}  // namespace parley
