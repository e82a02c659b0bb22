#include "http/byte_range.hpp"

#include <charconv>

namespace parley {

namespace {

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool read_number(std::string_view s, std::uint64_t& out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

ByteRange parse_byte_range(std::string_view header, std::uint64_t size) {
  constexpr std::string_view unit = "bytes=";
  header = trim_spaces(header);
  if (header.substr(0, unit.size()) != unit) return {};
  const std::string_view spec = trim_spaces(header.substr(unit.size()));
  if (spec.find(',') != std::string_view::npos) return {};
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) return {};
  const auto first_text = trim_spaces(spec.substr(0, dash));
  const auto last_text = trim_spaces(spec.substr(dash + 1));

  ByteRange r{ByteRange::Kind::partial, 0, 0};
  if (first_text.empty()) {  // "-n": the last n bytes
    std::uint64_t n = 0;
    if (!read_number(last_text, n)) return {};
    if (n == 0 || size == 0) return {ByteRange::Kind::unsatisfiable};
    r.first = n >= size ? 0 : size - n;
    r.last = size - 1;
    return r;
  }
  if (!read_number(first_text, r.first)) return {};
  if (last_text.empty()) {
    r.last = size == 0 ? 0 : size - 1;
  } else if (!read_number(last_text, r.last) || r.last < r.first) {
    return {};  // syntactically invalid: ignored
  }
  if (r.first >= size) return {ByteRange::Kind::unsatisfiable};
  if (r.last >= size) r.last = size - 1;
  return r;
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  if_none_match = trim_spaces(if_none_match);
  if (if_none_match == "*") return true;
  while (!if_none_match.empty()) {
    const auto comma = if_none_match.find(',');
    auto tag = trim_spaces(if_none_match.substr(0, comma));
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);  // weak comparison, as If-None-Match uses
    if (tag == etag) return true;
    if (comma == std::string_view::npos) break;
    if_none_match.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace parley
