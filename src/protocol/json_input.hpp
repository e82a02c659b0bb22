// Reading client JSON (REST bodies and WebSocket frames) with simdjson's DOM parser.
// Field accessors distinguish "absent" from "present with the wrong type", because the
// second is a bad_request the client must hear about.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley {

// One parser per thread: parsers keep their buffers, so reuse avoids an allocation per
// frame, and a connection needs none of its own (memory per idle connection matters).
simdjson::dom::parser& thread_json_parser();

enum class FieldState { absent, ok, wrong_type };

template <class T>
struct Field {
  FieldState state = FieldState::absent;
  T value{};
  bool present() const { return state != FieldState::absent; }
  bool ok() const { return state == FieldState::ok; }
};

Field<std::string_view> string_field(simdjson::dom::object obj, std::string_view key);
// Positive 64-bit ids. A numeric string ("7") is accepted too: some clients send ids as text.
Field<std::int64_t> id_field(simdjson::dom::object obj, std::string_view key);
Field<std::int64_t> int_field(simdjson::dom::object obj, std::string_view key);
Field<bool> bool_field(simdjson::dom::object obj, std::string_view key);

// A message's "attachment": the uploaded file's URL or stored name, given as a string or as an
// object with "url" or "filename" (the upload reply's fields; the rest is ignored: the server
// describes the file from its own records).
Field<std::string_view> attachment_field(simdjson::dom::object obj);

// Parses "123" as a positive 64-bit integer; nullopt otherwise.
std::optional<std::int64_t> parse_positive_id(std::string_view text);
std::optional<std::int64_t> parse_int(std::string_view text);

}  // namespace parley
