// The username and password rules of PROTOCOL.md (Auth), in one place. Each check returns
// nullopt when the input is acceptable, else the message to put in a 400 bad_request.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace parley {

inline constexpr std::size_t kUsernameMinChars = 3;
inline constexpr std::size_t kUsernameMaxChars = 32;
inline constexpr std::size_t kPasswordMinBytes = 8;
inline constexpr std::size_t kPasswordMaxBytes = 1024;

// 3-32 characters of [A-Za-z0-9_.-], not all digits (the compatibility API accepts a user id
// or a username in one field, so a name must never look like an id).
std::optional<std::string> username_problem(std::string_view username);

// 8-1024 bytes, any bytes (counted in bytes, not characters, as PROTOCOL.md says).
std::optional<std::string> password_problem(std::string_view password);

}  // namespace parley
