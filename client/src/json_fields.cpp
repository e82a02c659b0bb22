#include "json_fields.hpp"

namespace parley::client::detail {

std::int64_t int_of(simdjson::dom::object obj, std::string_view key, std::int64_t fallback) {
  std::int64_t v = 0;
  if (obj[key].get_int64().get(v) == simdjson::SUCCESS) return v;
  return fallback;
}

std::string str_of(simdjson::dom::object obj, std::string_view key) {
  std::string_view v;
  if (obj[key].get_string().get(v) == simdjson::SUCCESS) return std::string(v);
  return {};
}

std::optional<std::string> opt_str_of(simdjson::dom::object obj, std::string_view key) {
  std::string_view v;
  if (obj[key].get_string().get(v) == simdjson::SUCCESS) return std::string(v);
  return std::nullopt;
}

bool bool_of(simdjson::dom::object obj, std::string_view key) {
  bool v = false;
  if (obj[key].get_bool().get(v) == simdjson::SUCCESS) return v;
  return false;
}

UserRef user_field(simdjson::dom::object obj, std::string_view key) {
  simdjson::dom::object u;
  if (obj[key].get_object().get(u) == simdjson::SUCCESS) return UserRef{int_of(u, "id"), str_of(u, "username")};
  return {};
}

Message message_of(simdjson::dom::object obj) {
  Message m;
  m.id = int_of(obj, "id");
  m.seq = int_of(obj, "seq");
  m.room_id = int_of(obj, "room_id");
  m.sender = str_of(obj, "sender");
  m.sender_id = int_of(obj, "sender_id");
  m.content = str_of(obj, "content");
  m.timestamp = str_of(obj, "timestamp");
  m.edited_at = opt_str_of(obj, "edited_at");
  m.deleted = bool_of(obj, "deleted");
  m.message_type = str_of(obj, "message_type");
  simdjson::dom::object attachment;
  if (obj["attachment"].get_object().get(attachment) == simdjson::SUCCESS) m.attachment = simdjson::minify(attachment);
  m.client_id = opt_str_of(obj, "client_id");
  return m;
}

}  // namespace parley::client::detail
