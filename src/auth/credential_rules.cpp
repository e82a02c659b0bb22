#include "auth/credential_rules.hpp"

#include <algorithm>

namespace parley {

namespace {

bool is_ascii_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_username_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_ascii_digit(c) || c == '_' || c == '.' || c == '-';
}

}  // namespace

std::optional<std::string> username_problem(std::string_view username) {
  if (username.size() < kUsernameMinChars || username.size() > kUsernameMaxChars) {
    return "username must be 3-32 characters long";
  }
  if (!std::all_of(username.begin(), username.end(), is_username_char)) {
    return "username may contain only letters A-Z a-z, digits 0-9, '_', '.' and '-'";
  }
  if (std::all_of(username.begin(), username.end(), is_ascii_digit)) {
    return "username must not be all digits";
  }
  return std::nullopt;
}

std::optional<std::string> password_problem(std::string_view password) {
  if (password.size() < kPasswordMinBytes) return "password must be at least 8 bytes long";
  if (password.size() > kPasswordMaxBytes) return "password must be at most 1024 bytes long";
  return std::nullopt;
}

}  // namespace parley
