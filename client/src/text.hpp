// Small text helpers shared by the client's parts.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace parley::client::detail {

// Percent-encodes everything but RFC 3986 unreserved characters (for query values).
std::string url_encode(std::string_view text);

// Base64url without padding (RFC 4648 section 5, as in JWTs) to bytes; nullopt when malformed.
std::optional<std::string> base64url_decode(std::string_view text);

// `bits`/4 random lowercase hex digits (bits a multiple of 64), from a per-thread generator
// seeded by std::random_device: unique ids and multipart boundaries, not secrets.
std::string random_hex(int bits);

}  // namespace parley::client::detail
