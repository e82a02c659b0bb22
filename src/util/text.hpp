// Text rules shared by every input path: UTF-8 validity, trimming, code point counts.
#pragma once

#include <cstddef>
#include <string_view>

namespace parley {

bool is_valid_utf8(std::string_view text);
// Code points in valid UTF-8 (counts lead bytes).
std::size_t count_code_points(std::string_view text);
// Strips ASCII whitespace from both ends.
std::string_view trim(std::string_view text);

}  // namespace parley
