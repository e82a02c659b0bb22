#include "protocol/json_input.hpp"

#include <charconv>

namespace parley {

simdjson::dom::parser& thread_json_parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

Field<std::string_view> string_field(simdjson::dom::object obj, std::string_view key) {
  simdjson::dom::element el;
  if (obj.at_key(key).get(el) != simdjson::SUCCESS || el.is_null()) return {};
  std::string_view s;
  if (el.get_string().get(s) != simdjson::SUCCESS) return {FieldState::wrong_type, {}};
  return {FieldState::ok, s};
}

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<std::int64_t> parse_positive_id(std::string_view text) {
  auto v = parse_int(text);
  if (!v || *v <= 0) return std::nullopt;
  return v;
}

Field<std::int64_t> int_field(simdjson::dom::object obj, std::string_view key) {
  simdjson::dom::element el;
  if (obj.at_key(key).get(el) != simdjson::SUCCESS || el.is_null()) return {};
  std::int64_t v = 0;
  if (el.get_int64().get(v) == simdjson::SUCCESS) return {FieldState::ok, v};
  std::string_view s;
  if (el.get_string().get(s) == simdjson::SUCCESS) {
    if (auto parsed = parse_int(s)) return {FieldState::ok, *parsed};
  }
  return {FieldState::wrong_type, 0};
}

Field<std::int64_t> id_field(simdjson::dom::object obj, std::string_view key) {
  auto f = int_field(obj, key);
  if (f.ok() && f.value <= 0) f.state = FieldState::wrong_type;
  return f;
}

Field<std::string_view> attachment_field(simdjson::dom::object obj) {
  simdjson::dom::element el;
  if (obj.at_key("attachment").get(el) != simdjson::SUCCESS || el.is_null()) return {};
  std::string_view s;
  if (el.get_string().get(s) == simdjson::SUCCESS) return {FieldState::ok, s};
  simdjson::dom::object inner;
  if (el.get_object().get(inner) != simdjson::SUCCESS) return {FieldState::wrong_type, {}};
  for (std::string_view key : {"url", "filename"}) {
    const auto f = string_field(inner, key);
    if (f.ok()) return f;
  }
  return {FieldState::wrong_type, {}};
}

Field<bool> bool_field(simdjson::dom::object obj, std::string_view key) {
  simdjson::dom::element el;
  if (obj.at_key(key).get(el) != simdjson::SUCCESS || el.is_null()) return {};
  bool v = false;
  if (el.get_bool().get(v) != simdjson::SUCCESS) return {FieldState::wrong_type, false};
  return {FieldState::ok, v};
}

}  // namespace parley
