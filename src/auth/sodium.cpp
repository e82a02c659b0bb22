#include "auth/sodium.hpp"

#include <sodium.h>

#include <mutex>
#include <stdexcept>
#include <vector>

namespace parley {

namespace {

std::string to_hex(const unsigned char* bytes, std::size_t size) {
  std::string hex(size * 2 + 1, '\0');  // sodium_bin2hex writes a terminating NUL
  sodium_bin2hex(hex.data(), hex.size(), bytes, size);
  hex.pop_back();
  return hex;
}

}  // namespace

void ensure_sodium_initialized() {
  // sodium_init() is itself idempotent and thread-safe; call_once just makes the failure
  // path and the cost of later calls obvious.
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] { ok = sodium_init() >= 0; });  // 1 means "already initialised": fine
  if (!ok) throw std::runtime_error("libsodium failed to initialise");
}

std::string random_hex(std::size_t byte_count) {
  ensure_sodium_initialized();
  std::vector<unsigned char> bytes(byte_count);
  randombytes_buf(bytes.data(), bytes.size());
  std::string hex = to_hex(bytes.data(), bytes.size());
  sodium_memzero(bytes.data(), bytes.size());
  return hex;
}

std::string random_base64url(std::size_t byte_count) {
  ensure_sodium_initialized();
  constexpr int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::vector<unsigned char> bytes(byte_count);
  randombytes_buf(bytes.data(), bytes.size());
  std::string encoded(sodium_base64_ENCODED_LEN(byte_count, variant), '\0');  // includes the NUL
  sodium_bin2base64(encoded.data(), encoded.size(), bytes.data(), bytes.size(), variant);
  encoded.resize(encoded.size() - 1);
  sodium_memzero(bytes.data(), bytes.size());
  return encoded;
}

std::string sha256_hex(std::string_view data) {
  ensure_sodium_initialized();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return to_hex(digest, sizeof digest);
}

}  // namespace parley
