// Message <-> the server's JSON message object (docs/API.md, "The message object").
#include "json_fields.hpp"
#include "parley/client.hpp"
#include "util/json_writer.hpp"

namespace parley::client {

std::optional<Message> message_from_json(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(json.data(), json.size()).get_object().get(obj) != simdjson::SUCCESS) return std::nullopt;
  return detail::message_of(obj);
}

std::string to_json(const Message& m) {
  JsonWriter w;
  w.begin_object()
      .field("id", m.id)
      .field("seq", m.seq)
      .field("room_id", m.room_id)
      .field("sender", m.sender)
      .field("sender_id", m.sender_id)
      .field("content", m.content)
      .field("timestamp", m.timestamp)
      .field("edited_at", m.edited_at)
      .field("deleted", m.deleted)
      .field("message_type", m.message_type)
      .key("attachment");
  if (m.attachment.empty()) {
    w.null();
  } else {
    w.raw(m.attachment);
  }
  return w.field("client_id", m.client_id).end_object().take();
}

}  // namespace parley::client
