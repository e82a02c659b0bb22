#include "protocol/wire.hpp"

#include "util/clock.hpp"

namespace parley {

std::string_view to_string(PresenceStatus status) {
  switch (status) {
    case PresenceStatus::online:
      return "online";
    case PresenceStatus::away:
      return "away";
    case PresenceStatus::offline:
      break;
  }
  return "offline";
}

std::optional<PresenceStatus> parse_presence_status(std::string_view text) {
  for (auto status : {PresenceStatus::online, PresenceStatus::away, PresenceStatus::offline}) {
    if (text == to_string(status)) return status;
  }
  return std::nullopt;
}

namespace {

void write_time_or_null(JsonWriter& w, std::string_view name, TimeMs ms) {
  w.key(name);
  if (ms > 0) {
    w.value(format_rfc3339(ms));
  } else {
    w.null();
  }
}

void write_user_brief(JsonWriter& w, const User& user) {
  w.begin_object().field("id", user.id).field("username", user.username).end_object();
}

template <class T>
void write_optional(JsonWriter& w, std::string_view name, const std::optional<T>& v) {
  w.key(name);
  if (v) {
    w.value(*v);
  } else {
    w.null();
  }
}

void write_attachment(JsonWriter& w, const StoredFile& f) {
  w.begin_object()
      .field("type", f.kind)
      .field("filename", f.name)
      .field("original_filename", f.original_name)
      .field("url", file_url(f.name))
      .field("size", f.size)
      .field("mime_type", f.mime_type);
  w.key("thumbnail_url");
  if (f.thumbnail_name) {
    w.value(file_url(*f.thumbnail_name));
  } else {
    w.null();
  }
  write_optional(w, "width", f.width);
  write_optional(w, "height", f.height);
  write_optional(w, "duration", f.duration_s);
  w.end_object();
}

void write_room(JsonWriter& w, const RoomView& v) {
  const Room& r = v.room;
  w.begin_object()
      .field("id", r.id)
      .field("name", r.name)
      .field("private", r.is_private)
      .field("created_by", r.created_by)
      .field("created_at", format_rfc3339(r.created_at))
      .field("member_count", r.member_count)
      .field("online_count", v.online_count)
      .field("joined", v.joined)
      .field("last_seq", r.last_seq);
  w.key("last_message");
  if (v.last_message) {
    w.begin_object();
    write_message_fields(w, *v.last_message);
    w.end_object();
  } else {
    w.null();
  }
  // The invite is a capability: only members of a private room ever see it.
  if (r.is_private && v.joined) w.field("invite", r.invite_code);
  w.end_object();
}

}  // namespace

void write_message_fields(JsonWriter& w, const Message& m) {
  w.field("id", m.id)
      .field("seq", m.seq)
      .field("room_id", m.room_id)
      .field("sender", m.sender)
      .field("sender_id", m.sender_id)
      .field("content", m.deleted ? std::string_view() : std::string_view(m.content))
      .field("timestamp", format_rfc3339(m.created_at));
  w.key("edited_at");
  if (m.edited_at) {
    w.value(format_rfc3339(*m.edited_at));
  } else {
    w.null();
  }
  w.field("deleted", m.deleted).field("message_type", m.message_type);
  w.key("attachment");
  if (m.attachment && !m.deleted) {
    write_attachment(w, *m.attachment);
  } else {
    w.null();
  }
  w.field("client_id", m.client_id);
}

std::string message_json(const Message& m) {
  JsonWriter w;
  w.begin_object();
  write_message_fields(w, m);
  w.end_object();
  return w.take();
}

std::string room_json(const RoomView& view) {
  JsonWriter w;
  write_room(w, view);
  return w.take();
}

std::string rooms_json(const std::vector<RoomView>& views) {
  JsonWriter w;
  w.begin_object().key("rooms").begin_array();
  for (const auto& v : views) write_room(w, v);
  w.end_array().end_object();
  return w.take();
}

std::string members_json(const std::vector<MemberView>& members, const std::vector<TimeMs>& last_seen) {
  JsonWriter w;
  w.begin_object().key("members").begin_array();
  for (std::size_t i = 0; i < members.size(); ++i) {
    const auto& m = members[i];
    w.begin_object().field("id", m.user.id).field("username", m.user.username).field("status", to_string(m.status));
    write_time_or_null(w, "last_seen", i < last_seen.size() ? last_seen[i] : 0);
    w.field("read_seq", m.read_seq);
    w.end_object();
  }
  w.end_array().end_object();
  return w.take();
}

std::string history_json(const HistoryPage& page, bool with_has_more) {
  JsonWriter w;
  w.begin_object().key("messages").begin_array();
  for (const auto& m : page.messages) {
    w.begin_object();
    write_message_fields(w, m);
    w.end_object();
  }
  w.end_array();
  if (with_has_more) w.field("has_more", page.has_more);
  w.end_object();
  return w.take();
}

std::string user_json(const User& user) {
  JsonWriter w;
  write_user_brief(w, user);
  return w.take();
}

std::string auth_json(const AuthReply& reply) {
  JsonWriter w;
  w.begin_object()
      .field("access_token", reply.access_token)
      .field("refresh_token", reply.refresh_token)
      .field("token_type", "Bearer")
      .field("expires_in", reply.expires_in_s);
  w.key("user");
  write_user_brief(w, reply.user);
  w.end_object();
  return w.take();
}

std::string error_json(const ApiError& error) {
  JsonWriter w;
  w.begin_object().key("error").begin_object();
  w.field("code", error.code).field("message", error.message);
  w.end_object().end_object();
  return w.take();
}

std::string file_url(std::string_view name) {
  return "/api/files/" + std::string(name);
}

std::string upload_json(const StoredFile& f) {
  JsonWriter w;
  w.begin_object()
      .field("filename", f.name)
      .field("original_filename", f.original_name)
      .field("url", file_url(f.name))
      .field("size", f.size)
      .field("mime_type", f.mime_type)
      .field("type", f.kind);
  // Present only for images, as PROTOCOL.md's `?` marks.
  if (f.width) w.field("width", *f.width);
  if (f.height) w.field("height", *f.height);
  if (f.thumbnail_name) w.field("thumbnail_url", file_url(*f.thumbnail_name));
  w.end_object();
  return w.take();
}

std::string hello_frame(const User& user, int heartbeat_s) {
  JsonWriter w;
  w.begin_object().field("type", "hello").key("user");
  write_user_brief(w, user);
  w.field("heartbeat_s", heartbeat_s).end_object();
  return w.take();
}

std::string joined_frame(RoomId room, Seq last_seq, const std::vector<MemberView>& members, bool truncated) {
  JsonWriter w;
  w.begin_object().field("type", "joined").field("room_id", room).field("last_seq", last_seq);
  w.key("members").begin_array();
  for (const auto& m : members) {
    w.begin_object()
        .field("id", m.user.id)
        .field("username", m.user.username)
        .field("status", to_string(m.status))
        .field("read_seq", m.read_seq)
        .end_object();
  }
  w.end_array().field("truncated", truncated).end_object();
  return w.take();
}

std::string message_frame(std::string_view type, const Message& m) {
  JsonWriter w;
  w.begin_object().field("type", type);
  write_message_fields(w, m);
  w.end_object();
  return w.take();
}

std::string message_deleted_frame(const Message& m) {
  JsonWriter w;
  w.begin_object()
      .field("type", "message_deleted")
      .field("room_id", m.room_id)
      .field("id", m.id)
      .field("seq", m.seq)
      .end_object();
  return w.take();
}

std::string ack_frame(const Message& m) {
  JsonWriter w;
  w.begin_object()
      .field("type", "ack")
      .field("client_id", m.client_id)
      .field("id", m.id)
      .field("seq", m.seq)
      .field("room_id", m.room_id)
      .field("timestamp", format_rfc3339(m.created_at))
      .end_object();
  return w.take();
}

std::string typing_frame(bool start, RoomId room, const User& typist) {
  JsonWriter w;
  w.begin_object()
      .field("type", start ? "typing_start" : "typing_stop")
      .field("room_id", room)
      .field("sender", typist.username)
      .field("sender_id", typist.id)
      .end_object();
  return w.take();
}

std::string presence_frame(const User& user, PresenceStatus status, TimeMs last_seen, std::optional<RoomId> room) {
  JsonWriter w;
  w.begin_object()
      .field("type", "presence")
      .field("user_id", user.id)
      .field("username", user.username)
      .field("status", to_string(status));
  write_time_or_null(w, "last_seen", last_seen);
  if (room) w.field("room_id", *room);
  w.end_object();
  return w.take();
}

std::string member_joined_frame(RoomId room, const User& user, PresenceStatus status) {
  JsonWriter w;
  w.begin_object().field("type", "member_joined").field("room_id", room).key("user");
  write_user_brief(w, user);
  w.field("status", to_string(status)).end_object();
  return w.take();
}

std::string member_left_frame(RoomId room, const User& user) {
  JsonWriter w;
  w.begin_object().field("type", "member_left").field("room_id", room).key("user");
  write_user_brief(w, user);
  w.end_object();
  return w.take();
}

std::string read_frame(RoomId room, const User& reader, Seq seq) {
  JsonWriter w;
  w.begin_object()
      .field("type", "read")
      .field("room_id", room)
      .field("user_id", reader.id)
      .field("username", reader.username)
      .field("seq", seq)
      .end_object();
  return w.take();
}

std::string pong_frame() {
  return R"({"type":"pong"})";
}

std::string error_frame(std::string_view code, std::string_view message, std::string_view ref) {
  JsonWriter w;
  w.begin_object().field("type", "error").field("code", code).field("message", message);
  if (!ref.empty()) w.field("ref", ref);
  w.end_object();
  return w.take();
}

}  // namespace parley
