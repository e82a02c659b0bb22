// /api/messages...
#include <future>

#include "http/rest_api.hpp"
#include "protocol/json_input.hpp"
#include "util/clock.hpp"

namespace parley {

namespace http = boost::beast::http;

namespace {

// Reads an optional integer query parameter; false (with `error` set) when it is malformed.
bool int_param(const HttpRequest& req, const std::string& name, std::optional<std::int64_t>& out, ApiError& error) {
  const std::string* text = req.param(name);
  if (!text || text->empty()) return true;
  out = parse_int(*text);
  if (!out) {
    error = ApiError::bad_request("\"" + name + "\" must be an integer");
    return false;
  }
  return true;
}

}  // namespace

Result<Message> RestApi::send_and_wait(const User& me, ChatService::SendRequest request) {
  std::promise<Result<AppendResult>> promise;
  auto future = promise.get_future();
  s_.chat.send_message(me, std::move(request), [&promise](Result<AppendResult> r) { promise.set_value(std::move(r)); });
  auto result = future.get();
  if (!result.ok()) return result.error();
  return std::move(result.value().message);
}

HttpReply RestApi::get_messages(const HttpRequest& req, const User& me) {
  HistoryQuery q;
  ApiError error;
  std::optional<std::int64_t> room, limit, before_seq, since_seq;
  if (!int_param(req, "room_id", room, error) || !int_param(req, "limit", limit, error) ||
      !int_param(req, "before_seq", before_seq, error) || !int_param(req, "since_seq", since_seq, error)) {
    return error_reply(error);
  }
  if (!room || *room <= 0) return error_reply(ApiError::bad_request("\"room_id\" must be a positive integer"));
  if (limit && (*limit < 1 || *limit > 200)) return error_reply(ApiError::bad_request("\"limit\" must be 1-200"));
  q.room_id = *room;
  q.limit = static_cast<int>(limit.value_or(50));
  q.before_seq = before_seq;
  q.since_seq = since_seq;
  if (const std::string* since = req.param("since"); since && !since->empty()) {
    q.since = parse_rfc3339(*since);
    if (!q.since) return error_reply(ApiError::bad_request("\"since\" must be an RFC 3339 timestamp"));
  }
  auto page = s_.chat.history(me, q);
  return page.ok() ? json_reply(200, history_json(page.value())) : error_reply(page.error());
}

HttpReply RestApi::post_message(const HttpRequest& req, const User& me) {
  auto body = json_body(req);
  if (!body.ok()) return error_reply(body.error());
  const auto room = id_field(body.value(), "room_id");
  const auto content = string_field(body.value(), "content");
  const auto client_id = string_field(body.value(), "client_id");
  const auto attachment = attachment_field(body.value());
  if (!room.ok()) return error_reply(ApiError::bad_request("\"room_id\" must be a positive integer"));
  if (content.state == FieldState::wrong_type || (!content.ok() && !attachment.ok())) {
    return error_reply(ApiError::bad_request("\"content\" must be a string"));
  }
  if (client_id.state == FieldState::wrong_type)
    return error_reply(ApiError::bad_request("\"client_id\" must be a string"));
  if (attachment.state == FieldState::wrong_type) {
    return error_reply(ApiError::bad_request("\"attachment\" must be an uploaded file's url or filename"));
  }
  ChatService::SendRequest request;
  request.room_id = room.value;
  request.content = std::string(content.value);
  if (client_id.ok()) request.client_id = std::string(client_id.value);
  if (attachment.ok()) request.attachment = std::string(attachment.value);
  auto sent = send_and_wait(me, std::move(request));
  return sent.ok() ? json_reply(201, message_json(sent.value())) : error_reply(sent.error());
}

// PATCH / DELETE /api/messages/{id}
HttpReply RestApi::message_action(const HttpRequest& req, const Segments& seg, const User& me) {
  const auto id = parse_positive_id(seg[2]);
  if (!id) return error_reply(ApiError::not_found("message not found"));
  if (req.method == http::verb::patch) {
    auto body = json_body(req);
    if (!body.ok()) return error_reply(body.error());
    const auto content = string_field(body.value(), "content");
    if (!content.ok()) return error_reply(ApiError::bad_request("\"content\" must be a string"));
    auto edited = s_.chat.edit_message(me, *id, content.value);
    return edited.ok() ? json_reply(200, message_json(edited.value())) : error_reply(edited.error());
  }
  if (req.method == http::verb::delete_) {
    auto deleted = s_.chat.delete_message(me, *id);
    return deleted.ok() ? no_content() : error_reply(deleted.error());
  }
  return error_reply(ApiError::not_found("no such endpoint"));
}

}  // namespace parley
