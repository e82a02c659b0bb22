// Reading fields of the server's JSON replies and frames (simdjson DOM). A field that is absent or
// has another type reads as the default: the server's documents are trusted to be well-formed,
// and a missing optional field must not turn into an error.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "parley/client.hpp"

namespace parley::client::detail {

std::int64_t int_of(simdjson::dom::object obj, std::string_view key, std::int64_t fallback = 0);
std::string str_of(simdjson::dom::object obj, std::string_view key);
std::optional<std::string> opt_str_of(simdjson::dom::object obj, std::string_view key);
bool bool_of(simdjson::dom::object obj, std::string_view key);

UserRef user_field(simdjson::dom::object obj, std::string_view key);  // a nested {"id","username"}
Message message_of(simdjson::dom::object obj);                        // the message object of API.md

}  // namespace parley::client::detail
