// The parts of HTTP caching and range requests (RFC 9110) that file downloads need.
#pragma once

#include <cstdint>
#include <string_view>

namespace parley {

struct ByteRange {
  enum class Kind { whole, partial, unsatisfiable };
  Kind kind = Kind::whole;
  std::uint64_t first = 0;  // inclusive
  std::uint64_t last = 0;   // inclusive
};

// Reads a Range header against a resource of `size` bytes. One range of "bytes=a-b", "a-" or
// "-n" is honoured; anything else (other units, several ranges, garbage) serves the whole
// resource, which RFC 9110 allows.
ByteRange parse_byte_range(std::string_view header, std::uint64_t size);

// True when an If-None-Match header ("*", or a list of possibly weak tags) matches `etag`
// (a quoted strong tag).
bool etag_matches(std::string_view if_none_match, std::string_view etag);

}  // namespace parley
