// libsodium must be initialised once before use (it picks CPU-specific implementations and
// opens the random source). Every part of parley_auth calls this first; it is cheap after
// the first call and safe to call from any number of threads.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace parley {

// Throws std::runtime_error if libsodium cannot initialise (no usable random source).
void ensure_sodium_initialized();

// `byte_count` bytes from the OS CSPRNG, as lowercase hex (2 * byte_count characters).
std::string random_hex(std::size_t byte_count);
// `byte_count` bytes from the OS CSPRNG, as base64url without padding (safe in URLs and JSON).
std::string random_base64url(std::size_t byte_count);
// Lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

}  // namespace parley
