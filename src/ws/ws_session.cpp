#include "ws/ws_session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "protocol/json_input.hpp"
#include "protocol/wire.hpp"

namespace parley {

// ---------------------------------------------------------------- inbound frames

void WsSession::handle_text(std::string_view text) {
  simdjson::dom::element doc;
  auto& parser = thread_json_parser();
  if (parser.parse(text.data(), text.size()).get(doc) != simdjson::SUCCESS) {
    return refuse(ApiError::bad_request("frame is not valid JSON"), {});
  }
  Object frame;
  if (doc.get_object().get(frame) != simdjson::SUCCESS) {
    return refuse(ApiError::bad_request("frame must be a JSON object"), {});
  }
  const auto type = string_field(frame, "type");
  if (!type.ok()) return refuse(ApiError::bad_request("frame needs a string \"type\""), {});
  const std::string_view t = type.value;
  if (t == "message") return on_message(frame);
  if (t == "typing_start") return on_typing(frame, true);
  if (t == "typing_stop") return on_typing(frame, false);
  if (t == "ping") return send(pong_frame());
  if (t == "read") return on_read_receipt(frame);
  if (t == "join") return on_join(frame);
  if (t == "leave") return on_leave(frame);
  if (t == "edit") return on_edit(frame);
  if (t == "delete") return on_delete(frame);
  if (t == "status") return on_status(frame);
  if (is_call_frame(t)) return on_call(frame, t);
  refuse(ApiError::bad_request("unknown frame type"), t);
}

std::optional<RoomId> WsSession::room_of(Object frame, std::string_view type) {
  const auto room = id_field(frame, "room_id");
  if (!room.ok()) {
    refuse(ApiError::bad_request("\"room_id\" must be a positive integer"), type);
    return std::nullopt;
  }
  return room.value;
}

void WsSession::refuse(const ApiError& error, std::string_view ref) {
  send(error_frame(error.code, error.message, ref));
  // Refusals in a row mean a client that ignores its errors (a flood or a broken loop):
  // past the limit it is cut off rather than allowed to keep the server busy.
  if (++refused_in_row_ >= services_.config.abuse_close_after) {
    close(ws::CloseCode::policy, "too many refused frames");
  }
}

void WsSession::on_join(Object frame) {
  const auto room = room_of(frame, "join");
  if (!room) return;
  const auto since = int_field(frame, "since_seq");
  if (since.state == FieldState::wrong_type || (since.ok() && since.value < 0)) {
    return refuse(ApiError::bad_request("\"since_seq\" must be a non-negative integer"), "join");
  }
  join(*room, since.ok() ? std::optional<Seq>(since.value) : std::nullopt);
}

void WsSession::join(RoomId room_id, std::optional<Seq> since_seq) {
  auto& chat = services_.chat;
  auto access = chat.visible_room(login_.user, room_id);
  if (!access.ok()) return refuse(access.error(), "join");
  if (!access.value().member) {
    auto joined = chat.join_room(login_.user, room_id);  // public rooms only reach here
    if (!joined.ok()) return refuse(joined.error(), "join");
  }
  // Subscribe before reading the room's state: every message committed after this point
  // reaches this shard after us, and the per-room seq filter drops what the replay sent.
  const bool rejoin = !rooms_.add(room_id);
  if (!rejoin) shard_.subscribe(room_id, this);
  const auto room = services_.store.find_room(room_id);
  const Seq last_seq = room ? room->last_seq : 0;

  bool truncated = false;
  HistoryPage replay;
  // A connection never receives a seq twice or backwards, so a rejoin replays only what this
  // connection has not seen yet.
  if (since_seq && rejoin) since_seq = std::max(*since_seq, *rooms_.find(room_id));
  if (since_seq && *since_seq < last_seq) {
    Seq from = *since_seq;
    const Seq limit = services_.config.replay_limit;
    if (last_seq - from > limit) {
      // Too much was missed: replay the newest `limit` and let the client page the rest.
      truncated = true;
      from = last_seq - limit;
    }
    HistoryQuery q;
    q.room_id = room_id;
    q.since_seq = from;
    q.limit = static_cast<int>(limit);
    replay = services_.store.history(q);
  }
  send(joined_frame(room_id, last_seq, chat.member_views(room_id), truncated));
  Seq& delivered = *rooms_.find(room_id);
  delivered = std::max(delivered, last_seq);
  for (const auto& m : replay.messages) {
    send(message_frame("message", m));
    delivered = std::max(delivered, m.seq);
  }
  note_success();
}

void WsSession::on_leave(Object frame) {
  const auto room = room_of(frame, "leave");
  if (!room) return;
  drop_room(*room);
  note_success();
}

void WsSession::drop_room(RoomId room) {
  if (!rooms_.remove(room)) return;
  shard_.unsubscribe(room, this);
  (void)services_.chat.typing(login_.user, room, false, true);
}

void WsSession::on_message(Object frame) {
  // Errors name the client_id when there is one, so a client with several sends in flight
  // knows which one failed.
  const auto client_id = string_field(frame, "client_id");
  const std::string ref = client_id.ok() ? std::string(client_id.value) : std::string("message");
  const auto room = room_of(frame, ref);
  if (!room) return;
  auto content = string_field(frame, "content");
  if (!content.present()) content = string_field(frame, "message");
  const auto attachment = attachment_field(frame);
  if (attachment.state == FieldState::wrong_type) {
    return refuse(ApiError::bad_request("\"attachment\" must be an uploaded file's url or filename"), ref);
  }
  if (content.state == FieldState::wrong_type || (!content.ok() && !attachment.ok())) {
    return refuse(ApiError::bad_request("\"content\" must be a string"), ref);
  }
  if (client_id.state == FieldState::wrong_type)
    return refuse(ApiError::bad_request("\"client_id\" must be a string"), "message");

  ChatService::SendRequest request;
  request.room_id = *room;
  request.content = std::string(content.value);
  if (client_id.ok()) request.client_id = std::string(client_id.value);
  if (attachment.ok()) request.attachment = std::string(attachment.value);
  request.membership_checked = rooms_.contains(*room);
  // The completion runs on the writer thread: hop back to this connection's thread.
  auto done = [weak = weak_from_this(), executor = stream_.get_executor(), ref](Result<AppendResult> result) {
    boost::asio::post(executor, [weak, ref, result = std::move(result)]() {
      auto self = weak.lock();
      if (!self || self->closing_) return;
      if (!result.ok()) return self->refuse(result.error(), ref);
      self->note_success();
      self->send(ack_frame(result.value().message));
    });
  };
  services_.chat.send_message(login_.user, std::move(request), std::move(done));
}

void WsSession::on_typing(Object frame, bool start) {
  const auto room = room_of(frame, start ? "typing_start" : "typing_stop");
  if (!room) return;
  auto result = services_.chat.typing(login_.user, *room, start, rooms_.contains(*room));
  if (!result.ok()) return refuse(result.error(), start ? "typing_start" : "typing_stop");
  note_success();
}

void WsSession::on_read_receipt(Object frame) {
  const auto room = room_of(frame, "read");
  if (!room) return;
  const auto seq = int_field(frame, "seq");
  if (!seq.ok()) return refuse(ApiError::bad_request("\"seq\" must be an integer"), "read");
  auto result = services_.chat.mark_read(login_.user, *room, seq.value);
  if (!result.ok()) return refuse(result.error(), "read");
  note_success();
}

void WsSession::on_edit(Object frame) {
  const auto id = id_field(frame, "message_id");
  const auto content = string_field(frame, "content");
  if (!id.ok()) return refuse(ApiError::bad_request("\"message_id\" must be a positive integer"), "edit");
  if (!content.ok()) return refuse(ApiError::bad_request("\"content\" must be a string"), "edit");
  auto result = services_.chat.edit_message(login_.user, id.value, content.value);
  if (!result.ok()) return refuse(result.error(), "edit");
  note_success();
}

void WsSession::on_delete(Object frame) {
  const auto id = id_field(frame, "message_id");
  if (!id.ok()) return refuse(ApiError::bad_request("\"message_id\" must be a positive integer"), "delete");
  auto result = services_.chat.delete_message(login_.user, id.value);
  if (!result.ok()) return refuse(result.error(), "delete");
  note_success();
}

void WsSession::on_status(Object frame) {
  const auto status = string_field(frame, "status");
  // A connected user is online or away; hiding (offline) is the compatibility API's choice.
  const auto chosen = status.ok() ? parse_presence_status(status.value) : std::nullopt;
  if (!chosen || *chosen == PresenceStatus::offline) {
    return refuse(ApiError::bad_request("\"status\" must be \"online\" or \"away\""), "status");
  }
  auto result = services_.chat.set_status(login_.user, *chosen, false);
  if (!result.ok()) return refuse(result.error(), "status");
  note_success();
}

// ---------------------------------------------------------------- outbound

void WsSession::deliver(const BusEvent& event) {
  switch (event.kind) {
    case BusEvent::Kind::room_frame: {
      if (event.exclude_user == login_.user.id) return;
      if (event.only_user != 0 && event.only_user != login_.user.id) return;
      if (event.seq > 0) {
        Seq* delivered = rooms_.find(event.room);
        if (!delivered || event.seq <= *delivered) return;  // not followed, or replayed already
        *delivered = event.seq;
        services_.metrics.deliveries.fetch_add(1, std::memory_order_relaxed);
      }
      send(event.frame);
      return;
    }
    case BusEvent::Kind::unsubscribe_user:
      if (event.user == login_.user.id) {
        // Not synchronously: the shard may be iterating the room's list right now.
        boost::asio::post(stream_.get_executor(),
                          [self = shared_from_this(), room = event.room] { self->drop_room(room); });
      }
      return;
    case BusEvent::Kind::close_login:
      if (event.login_session == login_.session_id) close(ws::CloseCode::policy, "login revoked");
      return;
  }
}

}  // namespace parley
